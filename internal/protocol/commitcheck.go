package protocol

import "fmt"

// CheckCommit enforces the rules PROTOCOL.md sets for the actions of one
// commit, which replay cannot resolve otherwise because a commit's actions
// have no order: at most one metaData and one protocol action; at most one
// add and one remove per path; and no add and remove of the same logical
// file (path and deletion vector), which would leave it unclear whether the
// file is live. A path may be added and removed with different deletion
// vectors (a DELETE replacing a file's vector), and may appear in cdc
// actions freely. Log compactions are not commits: they may list a range's
// actions unreconciled and are not checked here.
func CheckCommit(actions []Action) error {
	var metas, protos int
	adds := make(map[string]FileKey, len(actions))
	removes := map[string]FileKey{}
	for i := range actions {
		a := &actions[i]
		switch {
		case a.Metadata != nil:
			if metas++; metas > 1 {
				return fmt.Errorf("%w: two metaData actions in one commit", ErrMalformed)
			}
		case a.Protocol != nil:
			if protos++; protos > 1 {
				return fmt.Errorf("%w: two protocol actions in one commit", ErrMalformed)
			}
		case a.Add != nil:
			k := a.Add.Key()
			if _, dup := adds[k.Path]; dup {
				return fmt.Errorf("%w: file %s is added twice in one commit", ErrMalformed, a.Add.Path)
			}
			adds[k.Path] = k
		case a.Remove != nil:
			k := a.Remove.Key()
			if _, dup := removes[k.Path]; dup {
				return fmt.Errorf("%w: file %s is removed twice in one commit", ErrMalformed, a.Remove.Path)
			}
			removes[k.Path] = k
		}
	}
	for p, k := range adds {
		if r, ok := removes[p]; ok && r == k {
			return fmt.Errorf("%w: file %s is both added and removed (same deletion vector) in one commit", ErrMalformed, p)
		}
	}
	return nil
}
