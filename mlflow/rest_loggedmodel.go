package mlflow

import (
	"context"
	"net/url"
)

type jsonLoggedModel struct {
	Info struct {
		ModelID                string    `json:"model_id"`
		ExperimentID           string    `json:"experiment_id"`
		Name                   string    `json:"name"`
		ArtifactURI            string    `json:"artifact_uri"`
		ModelType              string    `json:"model_type"`
		SourceRunID            string    `json:"source_run_id"`
		Status                 string    `json:"status"`
		StatusMessage          string    `json:"status_message"`
		CreationTimestampMs    jsonInt64 `json:"creation_timestamp_ms"`
		LastUpdatedTimestampMs jsonInt64 `json:"last_updated_timestamp_ms"`
		Tags                   []jsonTag `json:"tags"`
	} `json:"info"`
	Data struct {
		Params []jsonTag `json:"params"`
	} `json:"data"`
}

func (m *jsonLoggedModel) toLoggedModel() *LoggedModel {
	status := LoggedModelPending
	for s, p := range loggedModelStatusProto {
		if p == m.Info.Status {
			status = s
		}
	}
	return &LoggedModel{
		ModelID: m.Info.ModelID, ExperimentID: m.Info.ExperimentID, Name: m.Info.Name, ArtifactLocation: m.Info.ArtifactURI,
		ModelType: m.Info.ModelType, SourceRunID: m.Info.SourceRunID, Status: status, StatusMessage: m.Info.StatusMessage,
		CreationTimestamp: fromMillis(int64(m.Info.CreationTimestampMs)), LastUpdatedTimestamp: fromMillis(int64(m.Info.LastUpdatedTimestampMs)),
		Tags: fromJSONTags(m.Info.Tags), Params: fromJSONTags(m.Data.Params),
	}
}

func (rc *restClient) createLoggedModel(ctx context.Context, r createLoggedModelRequest) (*LoggedModel, error) {
	params := make([]jsonTag, len(r.Params))
	for i, p := range r.Params {
		params[i] = jsonTag(p)
	}
	req := map[string]any{"experiment_id": r.ExperimentID, "params": params, "tags": toJSONTags(r.Tags)}
	for k, v := range map[string]string{"name": r.Name, "source_run_id": r.SourceRunID, "model_type": r.ModelType} {
		if v != "" {
			req[k] = v
		}
	}
	var resp struct {
		Model jsonLoggedModel `json:"model"`
	}
	if err := rc.call(ctx, "POST", "/logged-models", nil, req, &resp); err != nil {
		return nil, err
	}
	return resp.Model.toLoggedModel(), nil
}

func (rc *restClient) getLoggedModel(ctx context.Context, modelID string) (*LoggedModel, error) {
	var resp struct {
		Model jsonLoggedModel `json:"model"`
	}
	if err := rc.call(ctx, "GET", "/logged-models/"+url.PathEscape(modelID), nil, nil, &resp); err != nil {
		return nil, err
	}
	return resp.Model.toLoggedModel(), nil
}

func (rc *restClient) finalizeLoggedModel(ctx context.Context, modelID string, status LoggedModelStatus) (*LoggedModel, error) {
	var resp struct {
		Model jsonLoggedModel `json:"model"`
	}
	req := map[string]any{"model_id": modelID, "status": loggedModelStatusProto[status]}
	if err := rc.call(ctx, "PATCH", "/logged-models/"+url.PathEscape(modelID), nil, req, &resp); err != nil {
		return nil, err
	}
	return resp.Model.toLoggedModel(), nil
}

func (rc *restClient) logOutputs(ctx context.Context, runID, modelID string, step int64) error {
	req := map[string]any{"run_id": runID, "models": []map[string]any{{"model_id": modelID, "step": step}}}
	return rc.call(ctx, "POST", "/runs/outputs", nil, req, nil)
}
