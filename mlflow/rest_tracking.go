package mlflow

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

type jsonTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func toJSONTags(ts []Tag) []jsonTag {
	out := make([]jsonTag, len(ts))
	for i, t := range ts {
		out[i] = jsonTag(t)
	}
	return out
}

func fromJSONTags(ts []jsonTag) map[string]string {
	out := make(map[string]string, len(ts))
	for _, t := range ts {
		out[t.Key] = t.Value
	}
	return out
}

type jsonExperiment struct {
	ExperimentID     string    `json:"experiment_id"`
	Name             string    `json:"name"`
	ArtifactLocation string    `json:"artifact_location"`
	LifecycleStage   string    `json:"lifecycle_stage"`
	LastUpdateTime   jsonInt64 `json:"last_update_time"`
	CreationTime     jsonInt64 `json:"creation_time"`
	Tags             []jsonTag `json:"tags"`
}

func (e *jsonExperiment) toExperiment() *Experiment {
	return &Experiment{
		ID: e.ExperimentID, Name: e.Name, ArtifactLocation: e.ArtifactLocation,
		LifecycleStage: LifecycleStage(e.LifecycleStage), CreationTime: fromMillis(int64(e.CreationTime)),
		LastUpdateTime: fromMillis(int64(e.LastUpdateTime)), Tags: fromJSONTags(e.Tags),
	}
}

type jsonMetric struct {
	Key       string    `json:"key"`
	Value     jsonFloat `json:"value"`
	Timestamp jsonInt64 `json:"timestamp"`
	Step      jsonInt64 `json:"step"`
}

type jsonRunInfo struct {
	RunID          string    `json:"run_id"`
	RunUUID        string    `json:"run_uuid"`
	RunName        string    `json:"run_name"`
	ExperimentID   string    `json:"experiment_id"`
	UserID         string    `json:"user_id"`
	Status         string    `json:"status"`
	StartTime      jsonInt64 `json:"start_time"`
	EndTime        jsonInt64 `json:"end_time"`
	ArtifactURI    string    `json:"artifact_uri"`
	LifecycleStage string    `json:"lifecycle_stage"`
}

func (i *jsonRunInfo) toRunInfo() RunInfo {
	id := i.RunID
	if id == "" {
		id = i.RunUUID
	}
	return RunInfo{
		RunID: id, RunName: i.RunName, ExperimentID: i.ExperimentID, UserID: i.UserID,
		Status: RunStatus(i.Status), StartTime: fromMillis(int64(i.StartTime)), EndTime: fromMillis(int64(i.EndTime)),
		ArtifactURI: i.ArtifactURI, LifecycleStage: LifecycleStage(i.LifecycleStage),
	}
}

type jsonRun struct {
	Info jsonRunInfo `json:"info"`
	Data struct {
		Metrics []jsonMetric `json:"metrics"`
		Params  []jsonTag    `json:"params"`
		Tags    []jsonTag    `json:"tags"`
	} `json:"data"`
}

func (r *jsonRun) toRun() *Run {
	metrics := make(map[string]Metric, len(r.Data.Metrics))
	for _, m := range r.Data.Metrics {
		metrics[m.Key] = Metric{Key: m.Key, Value: float64(m.Value), Timestamp: fromMillis(int64(m.Timestamp)), Step: int64(m.Step)}
	}
	return &Run{Info: r.Info.toRunInfo(), Data: RunData{Metrics: metrics, Params: fromJSONTags(r.Data.Params), Tags: fromJSONTags(r.Data.Tags)}}
}

func (rc *restClient) createExperiment(ctx context.Context, name, artifactLocation string, tags []Tag) (string, error) {
	req := map[string]any{"name": name, "tags": toJSONTags(tags)}
	if artifactLocation != "" {
		req["artifact_location"] = artifactLocation
	}
	var resp struct {
		ExperimentID string `json:"experiment_id"`
	}
	err := rc.call(ctx, "POST", "/experiments/create", nil, req, &resp)
	return resp.ExperimentID, err
}

func (rc *restClient) getExperiment(ctx context.Context, id string) (*Experiment, error) {
	var resp struct {
		Experiment jsonExperiment `json:"experiment"`
	}
	if err := rc.call(ctx, "GET", "/experiments/get", url.Values{"experiment_id": {id}}, nil, &resp); err != nil {
		return nil, err
	}
	return resp.Experiment.toExperiment(), nil
}

func (rc *restClient) getExperimentByName(ctx context.Context, name string) (*Experiment, error) {
	var resp struct {
		Experiment jsonExperiment `json:"experiment"`
	}
	if err := rc.call(ctx, "GET", "/experiments/get-by-name", url.Values{"experiment_name": {name}}, nil, &resp); err != nil {
		return nil, err
	}
	return resp.Experiment.toExperiment(), nil
}

func viewTypeOrDefault(v ViewType) string {
	if v == "" {
		return string(ActiveOnly)
	}
	return string(v)
}

func (rc *restClient) searchExperiments(ctx context.Context, o SearchExperimentsOptions) (*ExperimentPage, error) {
	req := map[string]any{"view_type": viewTypeOrDefault(o.ViewType), "max_results": maxResultsOrDefault(o.MaxResults)}
	addSearchFields(req, o.Filter, o.OrderBy, o.PageToken)
	var resp struct {
		Experiments   []jsonExperiment `json:"experiments"`
		NextPageToken string           `json:"next_page_token"`
	}
	if err := rc.call(ctx, "POST", "/experiments/search", nil, req, &resp); err != nil {
		return nil, err
	}
	page := &ExperimentPage{NextPageToken: resp.NextPageToken}
	for i := range resp.Experiments {
		page.Experiments = append(page.Experiments, resp.Experiments[i].toExperiment())
	}
	return page, nil
}

// addSearchFields sets the optional fields every MLflow search request
// shares, leaving absent ones out as MLflow's client does.
func addSearchFields(req map[string]any, filter string, orderBy []string, pageToken string) {
	if filter != "" {
		req["filter"] = filter
	}
	if len(orderBy) > 0 {
		req["order_by"] = orderBy
	}
	if pageToken != "" {
		req["page_token"] = pageToken
	}
}

func maxResultsOrDefault(n int) int {
	if n <= 0 {
		return defaultMaxResults
	}
	return n
}

func (rc *restClient) setExperimentTag(ctx context.Context, id, key, value string) error {
	return rc.call(ctx, "POST", "/experiments/set-experiment-tag", nil, map[string]any{"experiment_id": id, "key": key, "value": value}, nil)
}

func (rc *restClient) deleteExperiment(ctx context.Context, id string) error {
	return rc.call(ctx, "POST", "/experiments/delete", nil, map[string]any{"experiment_id": id}, nil)
}

func (rc *restClient) restoreExperiment(ctx context.Context, id string) error {
	return rc.call(ctx, "POST", "/experiments/restore", nil, map[string]any{"experiment_id": id}, nil)
}

func (rc *restClient) createRun(ctx context.Context, r createRunRequest) (*Run, error) {
	req := map[string]any{
		"experiment_id": r.ExperimentID, "user_id": r.UserID, "run_name": r.RunName,
		"start_time": r.StartTime.UnixMilli(), "tags": toJSONTags(r.Tags),
	}
	var resp struct {
		Run jsonRun `json:"run"`
	}
	if err := rc.call(ctx, "POST", "/runs/create", nil, req, &resp); err != nil {
		return nil, err
	}
	return resp.Run.toRun(), nil
}

func (rc *restClient) getRun(ctx context.Context, runID string) (*Run, error) {
	var resp struct {
		Run jsonRun `json:"run"`
	}
	if err := rc.call(ctx, "GET", "/runs/get", url.Values{"run_id": {runID}}, nil, &resp); err != nil {
		return nil, err
	}
	return resp.Run.toRun(), nil
}

func (rc *restClient) updateRun(ctx context.Context, runID string, status RunStatus, endTime time.Time, runName string) (*RunInfo, error) {
	req := map[string]any{"run_id": runID}
	if status != "" {
		req["status"] = string(status)
	}
	if !endTime.IsZero() {
		req["end_time"] = endTime.UnixMilli()
	}
	if runName != "" {
		req["run_name"] = runName
	}
	var resp struct {
		RunInfo jsonRunInfo `json:"run_info"`
	}
	if err := rc.call(ctx, "POST", "/runs/update", nil, req, &resp); err != nil {
		return nil, err
	}
	info := resp.RunInfo.toRunInfo()
	return &info, nil
}

func (rc *restClient) deleteRun(ctx context.Context, runID string) error {
	return rc.call(ctx, "POST", "/runs/delete", nil, map[string]any{"run_id": runID}, nil)
}

func (rc *restClient) restoreRun(ctx context.Context, runID string) error {
	return rc.call(ctx, "POST", "/runs/restore", nil, map[string]any{"run_id": runID}, nil)
}

func (rc *restClient) searchRuns(ctx context.Context, o SearchRunsOptions) (*RunPage, error) {
	req := map[string]any{
		"experiment_ids": o.ExperimentIDs, "run_view_type": viewTypeOrDefault(o.ViewType),
		"max_results": maxResultsOrDefault(o.MaxResults),
	}
	addSearchFields(req, o.Filter, o.OrderBy, o.PageToken)
	var resp struct {
		Runs          []jsonRun `json:"runs"`
		NextPageToken string    `json:"next_page_token"`
	}
	if err := rc.call(ctx, "POST", "/runs/search", nil, req, &resp); err != nil {
		return nil, err
	}
	page := &RunPage{NextPageToken: resp.NextPageToken}
	for i := range resp.Runs {
		page.Runs = append(page.Runs, resp.Runs[i].toRun())
	}
	return page, nil
}

func (rc *restClient) logBatch(ctx context.Context, runID string, metrics []Metric, params []Param, tags []Tag) error {
	jm := make([]jsonMetric, len(metrics))
	for i, m := range metrics {
		jm[i] = jsonMetric{Key: m.Key, Value: jsonFloat(m.Value), Timestamp: jsonInt64(m.Timestamp.UnixMilli()), Step: jsonInt64(m.Step)}
	}
	jp := make([]jsonTag, len(params))
	for i, p := range params {
		jp[i] = jsonTag(p)
	}
	req := map[string]any{"run_id": runID, "metrics": jm, "params": jp, "tags": toJSONTags(tags)}
	return rc.call(ctx, "POST", "/runs/log-batch", nil, req, nil)
}

func (rc *restClient) deleteTag(ctx context.Context, runID, key string) error {
	return rc.call(ctx, "POST", "/runs/delete-tag", nil, map[string]any{"run_id": runID, "key": key}, nil)
}

func (rc *restClient) getMetricHistory(ctx context.Context, runID, key string) ([]Metric, error) {
	out := []Metric{}
	token := ""
	for {
		q := url.Values{"run_id": {runID}, "metric_key": {key}, "max_results": {strconv.Itoa(25000)}}
		if token != "" {
			q.Set("page_token", token)
		}
		var resp struct {
			Metrics       []jsonMetric `json:"metrics"`
			NextPageToken string       `json:"next_page_token"`
		}
		if err := rc.call(ctx, "GET", "/metrics/get-history", q, nil, &resp); err != nil {
			return nil, err
		}
		for _, m := range resp.Metrics {
			out = append(out, Metric{Key: m.Key, Value: float64(m.Value), Timestamp: fromMillis(int64(m.Timestamp)), Step: int64(m.Step)})
		}
		if resp.NextPageToken == "" {
			break
		}
		token = resp.NextPageToken
	}
	sortMetricHistory(out)
	return out, nil
}
