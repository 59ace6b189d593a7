package mlflow

import (
	"slices"
	"strings"
)

func matchRegisteredModel(rm *RegisteredModel, cs []comparison) (bool, error) {
	for _, c := range cs {
		var ok bool
		var err error
		switch {
		case c.Entity == entityTag:
			v, has := rm.Tags[c.Key]
			if !has {
				return false, nil
			}
			ok, err = compareString(c.Op, v, c.Str, c.List)
		case c.Entity == entityAttribute && c.Key == "name":
			ok, err = compareString(c.Op, rm.Name, c.Str, c.List)
		default:
			return false, invalidParam("invalid registered model filter key %s.%s; use name or tags.<key>", c.Entity, c.Key)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchModelVersion(mv *ModelVersion, cs []comparison) (bool, error) {
	for _, c := range cs {
		var ok bool
		var err error
		switch {
		case c.Entity == entityTag:
			v, has := mv.Tags[c.Key]
			if !has {
				return false, nil
			}
			ok, err = compareString(c.Op, v, c.Str, c.List)
		case c.Entity == entityAttribute:
			switch c.Key {
			case "name":
				ok, err = compareString(c.Op, mv.Name, c.Str, c.List)
			case "run_id":
				ok, err = compareString(c.Op, mv.RunID, c.Str, c.List)
			case "source_path":
				ok, err = compareString(c.Op, mv.Source, c.Str, c.List)
			case "version_number":
				if !c.IsNum {
					return false, invalidParam("version_number compares against a number")
				}
				ok, err = compareNumber(c.Op, float64(mv.Version), c.Num)
			default:
				return false, invalidParam("invalid model version filter attribute %q", c.Key)
			}
		default:
			return false, invalidParam("invalid model version filter entity %q", c.Entity)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func validModelOrderBy(ob orderBy) error {
	if ob.Entity == entityAttribute && slices.Contains([]string{"name", "creation_timestamp", "last_updated_timestamp", "timestamp"}, ob.Key) {
		return nil
	}
	return invalidParam("invalid order_by key %q for registered models", ob.Key)
}

func validVersionOrderBy(ob orderBy) error {
	if ob.Entity == entityAttribute && slices.Contains([]string{"name", "version_number", "creation_timestamp", "last_updated_timestamp", "timestamp", "run_id"}, ob.Key) {
		return nil
	}
	return invalidParam("invalid order_by key %q for model versions", ob.Key)
}

func sortRegisteredModels(ms []*RegisteredModel, obs []orderBy) {
	obs = append(slices.Clone(obs), orderBy{Key: "name", Asc: true})
	slices.SortStableFunc(ms, func(a, b *RegisteredModel) int {
		for _, ob := range obs {
			var va, vb sortValue
			switch ob.Key {
			case "name":
				va, vb = sortValue{str: a.Name}, sortValue{str: b.Name}
			case "creation_timestamp":
				va, vb = sortValue{num: float64(millis(a.CreationTimestamp)), isNum: true}, sortValue{num: float64(millis(b.CreationTimestamp)), isNum: true}
			default:
				va, vb = sortValue{num: float64(millis(a.LastUpdatedTimestamp)), isNum: true}, sortValue{num: float64(millis(b.LastUpdatedTimestamp)), isNum: true}
			}
			if c := compareSortValues(va, vb, ob.Asc); c != 0 {
				return c
			}
		}
		return 0
	})
}

// sortModelVersions orders by the clauses, then name ascending and version
// descending (newest first), the server's default order.
func sortModelVersions(vs []*ModelVersion, obs []orderBy) {
	obs = append(slices.Clone(obs), orderBy{Key: "name", Asc: true}, orderBy{Key: "version_number"})
	slices.SortStableFunc(vs, func(a, b *ModelVersion) int {
		for _, ob := range obs {
			var va, vb sortValue
			switch ob.Key {
			case "name":
				va, vb = sortValue{str: a.Name}, sortValue{str: b.Name}
			case "run_id":
				va, vb = sortValue{str: a.RunID}, sortValue{str: b.RunID}
			case "version_number":
				va, vb = sortValue{num: float64(a.Version), isNum: true}, sortValue{num: float64(b.Version), isNum: true}
			case "creation_timestamp":
				va, vb = sortValue{num: float64(millis(a.CreationTimestamp)), isNum: true}, sortValue{num: float64(millis(b.CreationTimestamp)), isNum: true}
			default:
				va, vb = sortValue{num: float64(millis(a.LastUpdatedTimestamp)), isNum: true}, sortValue{num: float64(millis(b.LastUpdatedTimestamp)), isNum: true}
			}
			if c := compareSortValues(va, vb, ob.Asc); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Source, b.Source)
	})
}
