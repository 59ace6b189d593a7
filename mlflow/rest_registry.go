package mlflow

import (
	"context"
	"net/url"
	"strconv"
)

type jsonModelVersion struct {
	Name                 string    `json:"name"`
	Version              jsonInt64 `json:"version"`
	CreationTimestamp    jsonInt64 `json:"creation_timestamp"`
	LastUpdatedTimestamp jsonInt64 `json:"last_updated_timestamp"`
	UserID               string    `json:"user_id"`
	CurrentStage         string    `json:"current_stage"`
	Description          string    `json:"description"`
	Source               string    `json:"source"`
	RunID                string    `json:"run_id"`
	Status               string    `json:"status"`
	StatusMessage        string    `json:"status_message"`
	RunLink              string    `json:"run_link"`
	Tags                 []jsonTag `json:"tags"`
	Aliases              []string  `json:"aliases"`
}

func (m *jsonModelVersion) toModelVersion() *ModelVersion {
	return &ModelVersion{
		Name: m.Name, Version: int64(m.Version), Description: m.Description,
		CreationTimestamp: fromMillis(int64(m.CreationTimestamp)), LastUpdatedTimestamp: fromMillis(int64(m.LastUpdatedTimestamp)),
		UserID: m.UserID, CurrentStage: m.CurrentStage, Source: m.Source, RunID: m.RunID, RunLink: m.RunLink,
		Status: m.Status, StatusMessage: m.StatusMessage, Tags: fromJSONTags(m.Tags), Aliases: m.Aliases,
	}
}

type jsonRegisteredModel struct {
	Name                 string             `json:"name"`
	CreationTimestamp    jsonInt64          `json:"creation_timestamp"`
	LastUpdatedTimestamp jsonInt64          `json:"last_updated_timestamp"`
	Description          string             `json:"description"`
	LatestVersions       []jsonModelVersion `json:"latest_versions"`
	Tags                 []jsonTag          `json:"tags"`
	Aliases              []struct {
		Alias   string    `json:"alias"`
		Version jsonInt64 `json:"version"`
	} `json:"aliases"`
}

func (m *jsonRegisteredModel) toRegisteredModel() *RegisteredModel {
	rm := &RegisteredModel{
		Name: m.Name, Description: m.Description, CreationTimestamp: fromMillis(int64(m.CreationTimestamp)),
		LastUpdatedTimestamp: fromMillis(int64(m.LastUpdatedTimestamp)), Tags: fromJSONTags(m.Tags),
		Aliases: make(map[string]int64, len(m.Aliases)),
	}
	for _, a := range m.Aliases {
		rm.Aliases[a.Alias] = int64(a.Version)
	}
	for i := range m.LatestVersions {
		rm.LatestVersions = append(rm.LatestVersions, m.LatestVersions[i].toModelVersion())
	}
	return rm
}

func vstr(v int64) string { return strconv.FormatInt(v, 10) }

func (rc *restClient) createRegisteredModel(ctx context.Context, name, description string, tags []Tag) (*RegisteredModel, error) {
	req := map[string]any{"name": name, "tags": toJSONTags(tags)}
	if description != "" {
		req["description"] = description
	}
	var resp struct {
		RegisteredModel jsonRegisteredModel `json:"registered_model"`
	}
	if err := rc.call(ctx, "POST", "/registered-models/create", nil, req, &resp); err != nil {
		return nil, err
	}
	return resp.RegisteredModel.toRegisteredModel(), nil
}

func (rc *restClient) getRegisteredModel(ctx context.Context, name string) (*RegisteredModel, error) {
	var resp struct {
		RegisteredModel jsonRegisteredModel `json:"registered_model"`
	}
	if err := rc.call(ctx, "GET", "/registered-models/get", url.Values{"name": {name}}, nil, &resp); err != nil {
		return nil, err
	}
	return resp.RegisteredModel.toRegisteredModel(), nil
}

func searchQuery(o SearchModelsOptions, def int) url.Values {
	q := url.Values{}
	if o.Filter != "" {
		q.Set("filter", o.Filter)
	}
	for _, ob := range o.OrderBy {
		q.Add("order_by", ob)
	}
	if o.PageToken != "" {
		q.Set("page_token", o.PageToken)
	}
	n := o.MaxResults
	if n <= 0 {
		n = def
	}
	q.Set("max_results", strconv.Itoa(n))
	return q
}

func (rc *restClient) searchRegisteredModels(ctx context.Context, o SearchModelsOptions) (*RegisteredModelPage, error) {
	var resp struct {
		RegisteredModels []jsonRegisteredModel `json:"registered_models"`
		NextPageToken    string                `json:"next_page_token"`
	}
	if err := rc.call(ctx, "GET", "/registered-models/search", searchQuery(o, 100), nil, &resp); err != nil {
		return nil, err
	}
	page := &RegisteredModelPage{NextPageToken: resp.NextPageToken}
	for i := range resp.RegisteredModels {
		page.Models = append(page.Models, resp.RegisteredModels[i].toRegisteredModel())
	}
	return page, nil
}

func (rc *restClient) updateRegisteredModel(ctx context.Context, name, description string) (*RegisteredModel, error) {
	var resp struct {
		RegisteredModel jsonRegisteredModel `json:"registered_model"`
	}
	if err := rc.call(ctx, "PATCH", "/registered-models/update", nil, map[string]any{"name": name, "description": description}, &resp); err != nil {
		return nil, err
	}
	return rc.getRegisteredModel(ctx, name)
}

func (rc *restClient) deleteRegisteredModel(ctx context.Context, name string) error {
	return rc.call(ctx, "DELETE", "/registered-models/delete", nil, map[string]any{"name": name}, nil)
}

func (rc *restClient) setRegisteredModelTag(ctx context.Context, name, key, value string) error {
	return rc.call(ctx, "POST", "/registered-models/set-tag", nil, map[string]any{"name": name, "key": key, "value": value}, nil)
}

func (rc *restClient) deleteRegisteredModelTag(ctx context.Context, name, key string) error {
	return rc.call(ctx, "DELETE", "/registered-models/delete-tag", nil, map[string]any{"name": name, "key": key}, nil)
}

func (rc *restClient) createModelVersion(ctx context.Context, r createModelVersionRequest) (*ModelVersion, error) {
	req := map[string]any{"name": r.Name, "source": r.Source, "tags": toJSONTags(r.Tags)}
	if r.RunID != "" {
		req["run_id"] = r.RunID
	}
	if r.RunLink != "" {
		req["run_link"] = r.RunLink
	}
	if r.ModelID != "" {
		req["model_id"] = r.ModelID
	}
	if r.Description != "" {
		req["description"] = r.Description
	}
	var resp struct {
		ModelVersion jsonModelVersion `json:"model_version"`
	}
	if err := rc.call(ctx, "POST", "/model-versions/create", nil, req, &resp); err != nil {
		return nil, err
	}
	return resp.ModelVersion.toModelVersion(), nil
}

func (rc *restClient) getModelVersion(ctx context.Context, name string, version int64) (*ModelVersion, error) {
	var resp struct {
		ModelVersion jsonModelVersion `json:"model_version"`
	}
	if err := rc.call(ctx, "GET", "/model-versions/get", url.Values{"name": {name}, "version": {vstr(version)}}, nil, &resp); err != nil {
		return nil, err
	}
	return resp.ModelVersion.toModelVersion(), nil
}

func (rc *restClient) searchModelVersions(ctx context.Context, o SearchModelsOptions) (*ModelVersionPage, error) {
	var resp struct {
		ModelVersions []jsonModelVersion `json:"model_versions"`
		NextPageToken string             `json:"next_page_token"`
	}
	if err := rc.call(ctx, "GET", "/model-versions/search", searchQuery(o, defaultMaxResults), nil, &resp); err != nil {
		return nil, err
	}
	page := &ModelVersionPage{NextPageToken: resp.NextPageToken}
	for i := range resp.ModelVersions {
		page.Versions = append(page.Versions, resp.ModelVersions[i].toModelVersion())
	}
	return page, nil
}

func (rc *restClient) updateModelVersion(ctx context.Context, name string, version int64, description string) (*ModelVersion, error) {
	var resp struct {
		ModelVersion jsonModelVersion `json:"model_version"`
	}
	req := map[string]any{"name": name, "version": vstr(version), "description": description}
	if err := rc.call(ctx, "PATCH", "/model-versions/update", nil, req, &resp); err != nil {
		return nil, err
	}
	return rc.getModelVersion(ctx, name, version)
}

func (rc *restClient) deleteModelVersion(ctx context.Context, name string, version int64) error {
	return rc.call(ctx, "DELETE", "/model-versions/delete", nil, map[string]any{"name": name, "version": vstr(version)}, nil)
}

func (rc *restClient) setModelVersionTag(ctx context.Context, name string, version int64, key, value string) error {
	return rc.call(ctx, "POST", "/model-versions/set-tag", nil, map[string]any{"name": name, "version": vstr(version), "key": key, "value": value}, nil)
}

func (rc *restClient) deleteModelVersionTag(ctx context.Context, name string, version int64, key string) error {
	return rc.call(ctx, "DELETE", "/model-versions/delete-tag", nil, map[string]any{"name": name, "version": vstr(version), "key": key}, nil)
}

func (rc *restClient) getModelVersionDownloadURI(ctx context.Context, name string, version int64) (string, error) {
	var resp struct {
		ArtifactURI string `json:"artifact_uri"`
	}
	err := rc.call(ctx, "GET", "/model-versions/get-download-uri", url.Values{"name": {name}, "version": {vstr(version)}}, nil, &resp)
	return resp.ArtifactURI, err
}

func (rc *restClient) setAlias(ctx context.Context, name, alias string, version int64) error {
	return rc.call(ctx, "POST", "/registered-models/alias", nil, map[string]any{"name": name, "alias": alias, "version": vstr(version)}, nil)
}

func (rc *restClient) deleteAlias(ctx context.Context, name, alias string) error {
	return rc.call(ctx, "DELETE", "/registered-models/alias", nil, map[string]any{"name": name, "alias": alias}, nil)
}

func (rc *restClient) getModelVersionByAlias(ctx context.Context, name, alias string) (*ModelVersion, error) {
	var resp struct {
		ModelVersion jsonModelVersion `json:"model_version"`
	}
	if err := rc.call(ctx, "GET", "/registered-models/alias", url.Values{"name": {name}, "alias": {alias}}, nil, &resp); err != nil {
		return nil, err
	}
	return resp.ModelVersion.toModelVersion(), nil
}
