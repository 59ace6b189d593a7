package mlflow

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// RegisteredModelOptions are the optional parts of CreateRegisteredModel.
type RegisteredModelOptions struct {
	Description string
	Tags        map[string]string
}

// ModelVersionOptions are the optional parts of CreateModelVersion.
type ModelVersionOptions struct {
	RunID       string // "" = taken from a runs:/ source
	RunLink     string
	Description string
	Tags        map[string]string
}

// SplitUCName splits a Unity Catalog model name catalog.schema.model. ok is
// false for a plain (workspace registry) name.
func SplitUCName(name string) (catalog, schema, model string, ok bool) {
	parts := strings.Split(name, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

func validateRegistryTags(tags map[string]string) ([]Tag, error) {
	list := sortedTags(tags)
	for _, t := range list {
		if err := validateKey("tag", t.Key); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// CreateRegisteredModel creates a registered model (ErrAlreadyExists if the
// name is taken). Names may be Unity Catalog style catalog.schema.model.
func (c *Client) CreateRegisteredModel(ctx context.Context, name string, o *RegisteredModelOptions) (*RegisteredModel, error) {
	if err := validateModelName(name); err != nil {
		return nil, err
	}
	var oo RegisteredModelOptions
	if o != nil {
		oo = *o
	}
	tags, err := validateRegistryTags(oo.Tags)
	if err != nil {
		return nil, err
	}
	return c.be.createRegisteredModel(ctx, name, oo.Description, tags)
}

// GetRegisteredModel returns a registered model with its tags, aliases and
// latest version.
func (c *Client) GetRegisteredModel(ctx context.Context, name string) (*RegisteredModel, error) {
	if err := validateModelName(name); err != nil {
		return nil, err
	}
	return c.be.getRegisteredModel(ctx, name)
}

// SearchRegisteredModels returns one page of registered models, e.g. with
// Filter "name LIKE 'fraud-%'".
func (c *Client) SearchRegisteredModels(ctx context.Context, o *SearchModelsOptions) (*RegisteredModelPage, error) {
	var oo SearchModelsOptions
	if o != nil {
		oo = *o
	}
	return c.be.searchRegisteredModels(ctx, oo)
}

// UpdateRegisteredModel sets a registered model's description.
func (c *Client) UpdateRegisteredModel(ctx context.Context, name, description string) (*RegisteredModel, error) {
	return c.be.updateRegisteredModel(ctx, name, description)
}

// DeleteRegisteredModel deletes a registered model and all its versions.
func (c *Client) DeleteRegisteredModel(ctx context.Context, name string) error {
	return c.be.deleteRegisteredModel(ctx, name)
}

// SetRegisteredModelTag sets a tag of a registered model.
func (c *Client) SetRegisteredModelTag(ctx context.Context, name, key, value string) error {
	if err := validateKey("tag", key); err != nil {
		return err
	}
	return c.be.setRegisteredModelTag(ctx, name, key, value)
}

// DeleteRegisteredModelTag removes a tag of a registered model.
func (c *Client) DeleteRegisteredModelTag(ctx context.Context, name, key string) error {
	return c.be.deleteRegisteredModelTag(ctx, name, key)
}

// CreateModelVersion registers source (typically runs:/<run id>/<path>) as
// the next version of a registered model.
func (c *Client) CreateModelVersion(ctx context.Context, name, source string, o *ModelVersionOptions) (*ModelVersion, error) {
	if err := validateModelName(name); err != nil {
		return nil, err
	}
	if source == "" {
		return nil, invalidParam("model version source must not be empty")
	}
	var oo ModelVersionOptions
	if o != nil {
		oo = *o
	}
	if oo.RunID == "" && strings.HasPrefix(source, "runs:/") {
		oo.RunID, _, _ = strings.Cut(strings.TrimLeft(strings.TrimPrefix(source, "runs:/"), "/"), "/")
	}
	modelID, _ := loggedModelIDFromURI(source)
	tags, err := validateRegistryTags(oo.Tags)
	if err != nil {
		return nil, err
	}
	return c.be.createModelVersion(ctx, createModelVersionRequest{
		ModelID: modelID, Name: name, Source: source, RunID: oo.RunID, RunLink: oo.RunLink, Description: oo.Description, Tags: tags,
	})
}

// RegisterModel is mlflow.register_model: it creates the registered model
// when it does not exist yet and adds modelURI as a new version.
func (c *Client) RegisterModel(ctx context.Context, modelURI, name string, o *ModelVersionOptions) (*ModelVersion, error) {
	if _, err := c.CreateRegisteredModel(ctx, name, nil); err != nil && !errors.Is(err, ErrAlreadyExists) {
		return nil, err
	}
	return c.CreateModelVersion(ctx, name, modelURI, o)
}

// GetModelVersion returns one version (ErrNotFound if absent or deleted).
func (c *Client) GetModelVersion(ctx context.Context, name string, version int64) (*ModelVersion, error) {
	if err := validateModelName(name); err != nil {
		return nil, err
	}
	return c.be.getModelVersion(ctx, name, version)
}

// SearchModelVersions returns one page of versions, e.g. with Filter
// "name = 'fraud'" or "run_id = '…'".
func (c *Client) SearchModelVersions(ctx context.Context, o *SearchModelsOptions) (*ModelVersionPage, error) {
	var oo SearchModelsOptions
	if o != nil {
		oo = *o
	}
	return c.be.searchModelVersions(ctx, oo)
}

// UpdateModelVersion sets a version's description.
func (c *Client) UpdateModelVersion(ctx context.Context, name string, version int64, description string) (*ModelVersion, error) {
	return c.be.updateModelVersion(ctx, name, version, description)
}

// DeleteModelVersion deletes a version and the aliases pointing at it.
func (c *Client) DeleteModelVersion(ctx context.Context, name string, version int64) error {
	return c.be.deleteModelVersion(ctx, name, version)
}

// SetModelVersionTag sets a tag of a version.
func (c *Client) SetModelVersionTag(ctx context.Context, name string, version int64, key, value string) error {
	if err := validateKey("tag", key); err != nil {
		return err
	}
	return c.be.setModelVersionTag(ctx, name, version, key, value)
}

// DeleteModelVersionTag removes a tag of a version.
func (c *Client) DeleteModelVersionTag(ctx context.Context, name string, version int64, key string) error {
	return c.be.deleteModelVersionTag(ctx, name, version, key)
}

// SetAlias points alias (e.g. "production") at a version, moving it if it
// pointed elsewhere.
func (c *Client) SetAlias(ctx context.Context, name, alias string, version int64) error {
	if err := validateAlias(alias); err != nil {
		return err
	}
	return c.be.setAlias(ctx, name, alias, version)
}

// DeleteAlias removes an alias.
func (c *Client) DeleteAlias(ctx context.Context, name, alias string) error {
	if err := validateAlias(alias); err != nil {
		return err
	}
	return c.be.deleteAlias(ctx, name, alias)
}

// GetModelVersionByAlias returns the version an alias points at.
func (c *Client) GetModelVersionByAlias(ctx context.Context, name, alias string) (*ModelVersion, error) {
	return c.be.getModelVersionByAlias(ctx, name, alias)
}

// GetModelVersionDownloadURI returns where a version's files are (as the
// registry stores it: a runs:/ URI or an artifact URI).
func (c *Client) GetModelVersionDownloadURI(ctx context.Context, name string, version int64) (string, error) {
	return c.be.getModelVersionDownloadURI(ctx, name, version)
}

// ParseModelURI splits models:/<name>/<version>, models:/<name>@<alias> and
// models:/<name>/latest. Exactly one of version (>0), alias, latest is set.
// (models:/<model id> of an MLflow 3 LoggedModel is resolved by
// ResolveModelURI and LoadModel, not split here.)
func ParseModelURI(uri string) (name string, version int64, alias string, latest bool, err error) {
	rest, ok := strings.CutPrefix(uri, "models:/")
	if !ok {
		return "", 0, "", false, invalidParam("not a models:/ URI: %q", uri)
	}
	rest = strings.Trim(rest, "/")
	if n, a, ok := strings.Cut(rest, "@"); ok {
		if n == "" || a == "" || strings.Contains(a, "/") {
			return "", 0, "", false, invalidParam("invalid model URI %q: expected models:/<name>@<alias>", uri)
		}
		return n, 0, a, false, nil
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 || i == len(rest)-1 {
		return "", 0, "", false, invalidParam("invalid model URI %q: expected models:/<name>/<version> or models:/<name>@<alias>", uri)
	}
	name, suffix := rest[:i], rest[i+1:]
	if strings.EqualFold(suffix, "latest") {
		return name, 0, "", true, nil
	}
	v, perr := strconv.ParseInt(suffix, 10, 64)
	if perr != nil || v <= 0 {
		return "", 0, "", false, invalidParam("invalid model URI %q: %q is not a version (stages are not supported; use aliases)", uri, suffix)
	}
	return name, v, "", false, nil
}

// ResolveModelURI maps a models:/ URI to the version's download URI, or
// models:/<model id> to the LoggedModel's artifact location.
func (c *Client) ResolveModelURI(ctx context.Context, uri string) (string, error) {
	if id, ok := loggedModelIDFromURI(uri); ok {
		lm, err := c.GetLoggedModel(ctx, id)
		if err != nil {
			return "", err
		}
		return lm.ArtifactLocation, nil
	}
	name, version, alias, latest, err := ParseModelURI(uri)
	if err != nil {
		return "", err
	}
	switch {
	case alias != "":
		mv, err := c.GetModelVersionByAlias(ctx, name, alias)
		if err != nil {
			return "", err
		}
		version = mv.Version
	case latest:
		rm, err := c.GetRegisteredModel(ctx, name)
		if err != nil {
			return "", err
		}
		for _, mv := range rm.LatestVersions {
			version = max(version, mv.Version)
		}
		if version == 0 {
			return "", notFound("registered model %s has no versions", name)
		}
	}
	return c.GetModelVersionDownloadURI(ctx, name, version)
}
