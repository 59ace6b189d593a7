package pipeline

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// tableName is a dataset's three-part name, catalog.schema.table, as
// Unity Catalog and DLT name tables.
type tableName struct{ catalog, schema, table string }

var namePart = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseName resolves "table", "schema.table" or "catalog.schema.table",
// filling the missing parts with the pipeline's defaults. Parts are
// identifiers (letters, digits, underscores), compared case-insensitively
// as Spark compares them: the name is kept in lower case.
func parseName(s, catalog, schema string) (tableName, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	switch len(parts) {
	case 1:
		parts = []string{catalog, schema, parts[0]}
	case 2:
		parts = []string{catalog, parts[0], parts[1]}
	case 3:
	default:
		return tableName{}, fmt.Errorf("%w: table name %q has more than three parts (catalog.schema.table)", ErrInvalidDefinition, s)
	}
	for _, p := range parts {
		if !namePart.MatchString(p) {
			return tableName{}, fmt.Errorf("%w: table name %q: %q is not an identifier (letters, digits, underscores)", ErrInvalidDefinition, s, p)
		}
	}
	return tableName{strings.ToLower(parts[0]), strings.ToLower(parts[1]), strings.ToLower(parts[2])}, nil
}

func (n tableName) String() string { return n.catalog + "." + n.schema + "." + n.table }

// joinLocation appends slash-separated elements to a warehouse root that
// is either a local path or a URL.
func joinLocation(root string, elems ...string) string {
	if strings.Contains(root, "://") {
		u := strings.TrimRight(root, "/")
		q := ""
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u, q = u[:i], u[i:]
		}
		return strings.TrimRight(u, "/") + "/" + strings.Join(elems, "/") + q
	}
	return filepath.Join(append([]string{root}, elems...)...)
}

// location is where the table of this name lives under the warehouse:
// <root>/<catalog>/<schema>/<table>.
func (n tableName) location(root string) string {
	return joinLocation(root, n.catalog, n.schema, n.table)
}
