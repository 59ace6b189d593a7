package mlflow

import (
	"encoding/json"
	"path"
	"regexp"
	"strings"
	"unicode"
)

// MLflow's limits (mlflow/utils/validation.py), enforced on both stores so a
// batch that the embedded store accepts is one a server accepts too.
const (
	MaxParamsTagsPerBatch = 100
	MaxMetricsPerBatch    = 1000
	MaxEntitiesPerBatch   = 1000
	MaxBatchRequestBytes  = 1_000_000
	MaxParamValueLength   = 6000
	MaxTagValueLength     = 8000
	MaxEntityKeyLength    = 250
	MaxExperimentNameLen  = 500
	MaxExperimentTagValue = 20000
	MaxAliasLength        = 255
)

var (
	aliasPattern        = regexp.MustCompile(`^[\w\-]*$`)
	versionAliasPattern = regexp.MustCompile(`^[vV]\d+$`)
	runIDPattern        = regexp.MustCompile(`^[a-zA-Z0-9][\w\-]{0,255}$`)
	experimentIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][\w\-]{0,63}$`)
)

// validKeyName: alphanumerics, underscores, dashes, periods, spaces, colons
// and slashes, and the key must not resolve to another path.
func validateKey(what, key string) error {
	if key == "" {
		return invalidParam("%s name must not be empty", what)
	}
	if len(key) > MaxEntityKeyLength {
		return invalidParam("%s name %q exceeds %d characters", what, key, MaxEntityKeyLength)
	}
	for _, r := range key {
		if !(r == '_' || r == '-' || r == '.' || r == ' ' || r == ':' || r == '/' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return invalidParam("invalid %s name %q: names may only contain alphanumerics, underscores, dashes, periods, spaces, colons and slashes", what, key)
		}
	}
	if pathNotUnique(key) {
		return invalidParam("invalid %s name %q: it would resolve to %q when treated as a file", what, key, path.Clean(key))
	}
	return nil
}

func pathNotUnique(name string) bool {
	norm := path.Clean(name)
	return norm != name || norm == "." || strings.HasPrefix(norm, "..") || strings.HasPrefix(norm, "/")
}

func validateRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return invalidParam("invalid run id %q", id)
	}
	return nil
}

func validateExperimentID(id string) error {
	if !experimentIDPattern.MatchString(id) {
		return invalidParam("invalid experiment id %q", id)
	}
	return nil
}

func validateParam(p Param) error {
	if err := validateKey("param", p.Key); err != nil {
		return err
	}
	if len(p.Value) > MaxParamValueLength {
		return invalidParam("param %q value exceeds %d characters", p.Key, MaxParamValueLength)
	}
	return nil
}

func validateTag(t Tag) error {
	if err := validateKey("tag", t.Key); err != nil {
		return err
	}
	if len(t.Value) > MaxTagValueLength {
		return invalidParam("tag %q value exceeds %d characters", t.Key, MaxTagValueLength)
	}
	return nil
}

// validateEntries checks every key and value of a batch, and that no param
// key carries two different values.
func validateEntries(metrics []Metric, params []Param, tags []Tag) error {
	for _, m := range metrics {
		if err := validateKey("metric", m.Key); err != nil {
			return err
		}
	}
	seen := make(map[string]string, len(params))
	for _, p := range params {
		if err := validateParam(p); err != nil {
			return err
		}
		if v, ok := seen[p.Key]; ok && v != p.Value {
			return invalidParam("duplicate param key %q with different values in one batch", p.Key)
		}
		seen[p.Key] = p.Value
	}
	for _, t := range tags {
		if err := validateTag(t); err != nil {
			return err
		}
	}
	return nil
}

// validateLimits applies log-batch's per-request limits: counts and the
// 1 MB request size, estimated as the JSON body MLflow measures.
func validateLimits(metrics []Metric, params []Param, tags []Tag) error {
	if len(metrics) > MaxMetricsPerBatch {
		return invalidParam("a batch logging request can have at most %d metrics, got %d", MaxMetricsPerBatch, len(metrics))
	}
	if len(params) > MaxParamsTagsPerBatch {
		return invalidParam("a batch logging request can have at most %d params, got %d", MaxParamsTagsPerBatch, len(params))
	}
	if len(tags) > MaxParamsTagsPerBatch {
		return invalidParam("a batch logging request can have at most %d tags, got %d", MaxParamsTagsPerBatch, len(tags))
	}
	if n := len(metrics) + len(params) + len(tags); n > MaxEntitiesPerBatch {
		return invalidParam("a batch logging request can have at most %d entities, got %d", MaxEntitiesPerBatch, n)
	}
	size := batchSize(metrics, params, tags)
	if size > MaxBatchRequestBytes {
		return invalidParam("batch logging request of about %d bytes exceeds the %d byte limit", size, MaxBatchRequestBytes)
	}
	return nil
}

func validateModelName(name string) error {
	if strings.TrimSpace(name) == "" {
		return invalidParam("registered model name must not be empty")
	}
	if strings.ContainsAny(name, "/:") {
		return invalidParam("invalid model name %q: names cannot contain '/' or ':'", name)
	}
	if pathNotUnique(name) {
		return invalidParam("invalid model name %q", name)
	}
	return nil
}

func validateAlias(alias string) error {
	if alias == "" {
		return invalidParam("registered model alias name cannot be empty")
	}
	if !aliasPattern.MatchString(alias) {
		return invalidParam("invalid alias name %q: aliases may only contain alphanumerics, underscores and dashes", alias)
	}
	if len(alias) > MaxAliasLength {
		return invalidParam("alias %q exceeds %d characters", alias, MaxAliasLength)
	}
	if strings.EqualFold(alias, "latest") {
		return invalidParam("'latest' alias name (case insensitive) is reserved")
	}
	if versionAliasPattern.MatchString(alias) {
		return invalidParam("version alias name %q is reserved", alias)
	}
	return nil
}

func validateExperimentName(name string) error {
	if name == "" {
		return invalidParam("experiment name must not be empty")
	}
	if len(name) > MaxExperimentNameLen {
		return invalidParam("experiment name exceeds %d characters", MaxExperimentNameLen)
	}
	return nil
}

// batchSize estimates the JSON body of a log-batch request.
func batchSize(metrics []Metric, params []Param, tags []Tag) int {
	size := 64
	for _, m := range metrics {
		size += len(m.Key) + 80
	}
	for _, p := range params {
		b, _ := json.Marshal(p.Value)
		size += len(p.Key) + len(b) + 24
	}
	for _, t := range tags {
		b, _ := json.Marshal(t.Value)
		size += len(t.Key) + len(b) + 24
	}
	return size
}
