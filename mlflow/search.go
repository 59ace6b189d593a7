package mlflow

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// SearchExperimentsOptions narrows SearchExperiments. Filter uses MLflow's
// syntax over name, creation_time, last_update_time and tags.<key>, e.g.
// "name LIKE 'etl-%' AND tags.team = 'ml'".
type SearchExperimentsOptions struct {
	Filter     string
	OrderBy    []string // e.g. "name ASC", "creation_time DESC"
	MaxResults int      // 0 = server default (1000)
	PageToken  string
	ViewType   ViewType
}

// SearchRunsOptions narrows SearchRuns. Filter uses MLflow's syntax, e.g.
// "metrics.rmse < 1 and params.max_depth = '6'", over metrics.<k>, params.<k>,
// tags.<k> and the attributes run_id, run_name, status, user_id,
// artifact_uri, start_time, end_time.
type SearchRunsOptions struct {
	ExperimentIDs []string
	Filter        string
	OrderBy       []string // e.g. "metrics.rmse ASC", "attributes.start_time DESC"
	MaxResults    int      // 0 = 1000, MLflow's default
	PageToken     string
	ViewType      ViewType
}

// SearchModelsOptions narrows registered model and model version searches.
// Registered models filter on name and tags.<k>; versions on name, run_id,
// source_path, version_number and tags.<k>.
type SearchModelsOptions struct {
	Filter     string
	OrderBy    []string
	MaxResults int
	PageToken  string
}

const defaultMaxResults = 1000

// pageToken is MLflow's offset token shape: base64 of {"offset": n}.
func encodePageToken(offset int) string {
	b, _ := json.Marshal(map[string]int{"offset": offset})
	return base64.StdEncoding.EncodeToString(b)
}

func decodePageToken(tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return 0, invalidParam("invalid page token %q", tok)
	}
	var v struct {
		Offset *int `json:"offset"`
	}
	if err := json.Unmarshal(raw, &v); err != nil || v.Offset == nil || *v.Offset < 0 {
		return 0, invalidParam("invalid page token %q", tok)
	}
	return *v.Offset, nil
}

// paginate returns items[offset:offset+max] and the token of the next page.
func paginate[T any](items []T, token string, maxResults int) ([]T, string, error) {
	off, err := decodePageToken(token)
	if err != nil {
		return nil, "", err
	}
	if maxResults <= 0 {
		maxResults = defaultMaxResults
	}
	if off > len(items) {
		off = len(items)
	}
	end := min(off+maxResults, len(items))
	next := ""
	if end < len(items) {
		next = encodePageToken(end)
	}
	return items[off:end], next, nil
}

var runAttributeAliases = map[string]string{
	"run name": "run_name", "Run name": "run_name", "Run Name": "run_name",
	"created": "start_time", "Created": "start_time", "run_uuid": "run_id",
}

func runAttrKey(k string) string {
	if a, ok := runAttributeAliases[k]; ok {
		return a
	}
	return k
}

// validateRunFilter checks the semantic rules MLflow applies before running a
// search, so both stores reject the same filters.
func validateRunFilter(cs []comparison) error {
	for _, c := range cs {
		switch c.Entity {
		case entityMetric:
			if !c.IsNum || !slices.Contains([]string{"=", "!=", "<", "<=", ">", ">="}, c.Op) {
				return invalidParam("invalid filter clause %s: metrics compare with =, !=, <, <=, >, >= against a number", c)
			}
		case entityParam, entityTag:
			if c.IsNum || !slices.Contains([]string{"=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"}, c.Op) {
				return invalidParam("invalid filter clause %s: params and tags compare with =, !=, LIKE, ILIKE against a quoted string", c)
			}
		case entityAttribute:
			key := runAttrKey(c.Key)
			switch key {
			case "start_time", "end_time":
				if !c.IsNum {
					return invalidParam("invalid filter clause %s: %s compares against a number", c, key)
				}
				if _, err := compareNumber(c.Op, 0, 0); err != nil {
					return err
				}
			case "run_id", "run_name", "status", "user_id", "artifact_uri", "lifecycle_stage":
				if c.IsNum || !slices.Contains([]string{"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"}, c.Op) {
					return invalidParam("invalid filter clause %s: %s compares with =, !=, LIKE, ILIKE, IN against strings", c, key)
				}
				// As in MLflow: only run_id takes a list.
				if (c.Op == "IN" || c.Op == "NOT IN") && key != "run_id" {
					return invalidParam("Only ['run_id'] attributes support comparison with a list of quoted string values.")
				}
			default:
				return invalidParam("invalid attribute key %q in filter", c.Key)
			}
		case entityDataset:
			return invalidParam("dataset filters are not supported by this store")
		}
	}
	return nil
}

func matchRun(r *Run, cs []comparison) (bool, error) {
	for _, c := range cs {
		ok, err := matchRunClause(r, c)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchRunClause(r *Run, c comparison) (bool, error) {
	switch c.Entity {
	case entityMetric:
		m, ok := r.Data.Metrics[c.Key]
		if !ok {
			return false, nil
		}
		return compareNumber(c.Op, m.Value, c.Num)
	case entityParam, entityTag:
		m := r.Data.Params
		if c.Entity == entityTag {
			m = r.Data.Tags
		}
		v, ok := m[c.Key]
		switch c.Op {
		case "IS NULL":
			return !ok, nil
		case "IS NOT NULL":
			return ok, nil
		}
		if !ok {
			return false, nil
		}
		return compareString(c.Op, v, c.Str, c.List)
	default:
		switch key := runAttrKey(c.Key); key {
		case "start_time":
			return compareNumber(c.Op, float64(millis(r.Info.StartTime)), c.Num)
		case "end_time":
			if r.Info.EndTime.IsZero() {
				return false, nil
			}
			return compareNumber(c.Op, float64(millis(r.Info.EndTime)), c.Num)
		default:
			return compareString(c.Op, runAttrString(r, key), c.Str, c.List)
		}
	}
}

func runAttrString(r *Run, key string) string {
	switch key {
	case "run_id":
		return r.Info.RunID
	case "run_name":
		return r.Info.RunName
	case "status":
		return string(r.Info.Status)
	case "user_id":
		return r.Info.UserID
	case "artifact_uri":
		return r.Info.ArtifactURI
	case "lifecycle_stage":
		return string(r.Info.LifecycleStage)
	case "experiment_id":
		return r.Info.ExperimentID
	}
	return ""
}

// sortValue is a nullable sort key; numbers and strings never mix for one key.
type sortValue struct {
	null  bool
	num   float64
	str   string
	isNum bool
}

func compareSortValues(a, b sortValue, asc bool) int {
	// Missing values (and NaN) sort last in both directions, as MLflow does.
	an, bn := a.null || (a.isNum && math.IsNaN(a.num)), b.null || (b.isNum && math.IsNaN(b.num))
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	var c int
	if a.isNum {
		c = cmp.Compare(a.num, b.num)
	} else {
		c = strings.Compare(a.str, b.str)
	}
	if !asc {
		c = -c
	}
	return c
}

func runSortValue(r *Run, ob orderBy) sortValue {
	switch ob.Entity {
	case entityMetric:
		m, ok := r.Data.Metrics[ob.Key]
		return sortValue{null: !ok, num: m.Value, isNum: true}
	case entityParam:
		v, ok := r.Data.Params[ob.Key]
		return sortValue{null: !ok, str: v}
	case entityTag:
		v, ok := r.Data.Tags[ob.Key]
		return sortValue{null: !ok, str: v}
	}
	switch key := runAttrKey(ob.Key); key {
	case "start_time":
		return sortValue{num: float64(millis(r.Info.StartTime)), isNum: true}
	case "end_time":
		return sortValue{null: r.Info.EndTime.IsZero(), num: float64(millis(r.Info.EndTime)), isNum: true}
	default:
		return sortValue{str: runAttrString(r, key)}
	}
}

func parseOrderBys(list []string, valid func(orderBy) error) ([]orderBy, error) {
	out := make([]orderBy, 0, len(list))
	for _, s := range list {
		ob, err := parseOrderBy(s)
		if err != nil {
			return nil, err
		}
		if err := valid(ob); err != nil {
			return nil, err
		}
		out = append(out, ob)
	}
	return out, nil
}

func validRunOrderBy(ob orderBy) error {
	if ob.Entity == entityAttribute {
		switch runAttrKey(ob.Key) {
		case "start_time", "end_time", "run_id", "run_name", "status", "user_id", "artifact_uri", "experiment_id", "lifecycle_stage":
			return nil
		}
		return invalidParam("invalid order_by attribute %q", ob.Key)
	}
	if ob.Entity == entityDataset {
		return invalidParam("invalid order_by entity %q", ob.Entity)
	}
	return nil
}

// sortRuns orders runs the way MLflow does: the order_by clauses, then start
// time descending, then run id.
func sortRuns(runs []*Run, obs []orderBy) {
	slices.SortStableFunc(runs, func(a, b *Run) int {
		for _, ob := range obs {
			if c := compareSortValues(runSortValue(a, ob), runSortValue(b, ob), ob.Asc); c != 0 {
				return c
			}
		}
		if c := b.Info.StartTime.Compare(a.Info.StartTime); c != 0 {
			return c
		}
		return strings.Compare(a.Info.RunID, b.Info.RunID)
	})
}

func matchExperiment(e *Experiment, cs []comparison) (bool, error) {
	for _, c := range cs {
		var ok bool
		var err error
		switch c.Entity {
		case entityTag:
			v, has := e.Tags[c.Key]
			if !has {
				return false, nil
			}
			ok, err = compareString(c.Op, v, c.Str, c.List)
		case entityAttribute:
			switch c.Key {
			case "name":
				ok, err = compareString(c.Op, e.Name, c.Str, c.List)
			case "experiment_id":
				ok, err = compareString(c.Op, e.ID, c.Str, c.List)
			case "creation_time":
				ok, err = compareNumber(c.Op, float64(millis(e.CreationTime)), c.Num)
			case "last_update_time":
				ok, err = compareNumber(c.Op, float64(millis(e.LastUpdateTime)), c.Num)
			default:
				return false, invalidParam("invalid experiment filter attribute %q", c.Key)
			}
		default:
			return false, invalidParam("invalid experiment filter entity %q", c.Entity)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func experimentSortValue(e *Experiment, key string) sortValue {
	switch key {
	case "name":
		return sortValue{str: e.Name}
	case "creation_time":
		return sortValue{num: float64(millis(e.CreationTime)), isNum: true}
	case "last_update_time":
		return sortValue{num: float64(millis(e.LastUpdateTime)), isNum: true}
	default: // experiment_id: numeric ids compare as numbers
		n, err := strconv.ParseFloat(e.ID, 64)
		return sortValue{num: n, isNum: err == nil, str: e.ID}
	}
}

func validExperimentOrderBy(ob orderBy) error {
	if ob.Entity != entityAttribute {
		return invalidParam("invalid order_by entity %q for experiments", ob.Entity)
	}
	switch ob.Key {
	case "name", "creation_time", "last_update_time", "experiment_id":
		return nil
	}
	return invalidParam("invalid order_by attribute %q for experiments", ob.Key)
}

func sortExperiments(exps []*Experiment, obs []orderBy) {
	if len(obs) == 0 {
		obs = []orderBy{{Key: "creation_time"}}
	}
	obs = append(obs, orderBy{Key: "experiment_id"})
	slices.SortStableFunc(exps, func(a, b *Experiment) int {
		for _, ob := range obs {
			if c := compareSortValues(experimentSortValue(a, ob.Key), experimentSortValue(b, ob.Key), ob.Asc); c != 0 {
				return c
			}
		}
		return 0
	})
}
