package expr

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, so callers can branch with errors.Is.
var (
	// ErrSyntax is returned by Parse when the text is not a valid Spark SQL
	// scalar expression. The concrete error is a *SyntaxError carrying the
	// byte offset of the problem.
	ErrSyntax = errors.New("expr: syntax error")
	// ErrUnknownColumn is returned by Compile when a column reference does not
	// resolve against the schema (the message suggests the closest name).
	ErrUnknownColumn = errors.New("expr: unknown column")
	// ErrAmbiguousColumn is returned by Compile when a reference matches more
	// than one field case-insensitively and none exactly.
	ErrAmbiguousColumn = errors.New("expr: ambiguous column")
	// ErrType is returned by Compile when operand types do not fit an
	// operator or function, or when a predicate is not boolean.
	ErrType = errors.New("expr: type mismatch")
	// ErrUnknownFunction is returned by Compile for a function name this
	// package does not implement.
	ErrUnknownFunction = errors.New("expr: unknown function")
	// ErrArithmetic is returned by Eval in ANSI mode on integer or decimal
	// overflow and on division by zero (non-ANSI mode yields wrap or NULL).
	ErrArithmetic = errors.New("expr: arithmetic error")
	// ErrInvalidCast is returned by Eval in ANSI mode when CAST cannot convert
	// a value (non-ANSI mode and TRY_CAST yield NULL instead).
	ErrInvalidCast = errors.New("expr: invalid cast")
	// ErrNotPredicate is returned by Program.Filter when the program's
	// result is not boolean.
	ErrNotPredicate = errors.New("expr: not a predicate")
)

// SyntaxError describes a parse failure at byte offset Pos of Text.
type SyntaxError struct {
	Text string // the whole input
	Pos  int    // byte offset of the offending token
	Msg  string // what was wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("expr: syntax error at position %d: %s\n%s", e.Pos, e.Msg, caret(e.Text, e.Pos))
}

// Is reports whether target is ErrSyntax.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// CompileError describes a semantic failure (unknown column, type mismatch)
// at byte offset Pos of the parsed text; Pos is -1 for builder-made trees.
type CompileError struct {
	Pos  int
	Msg  string
	Kind error // one of the sentinels above
}

func (e *CompileError) Error() string {
	if e.Pos >= 0 {
		return fmt.Sprintf("%v at position %d: %s", e.Kind, e.Pos, e.Msg)
	}
	return fmt.Sprintf("%v: %s", e.Kind, e.Msg)
}

// Unwrap returns the sentinel kind.
func (e *CompileError) Unwrap() error { return e.Kind }

func compileErr(n *node, kind error, format string, args ...any) error {
	pos := -1
	if n != nil {
		pos = n.pos
	}
	return &CompileError{Pos: pos, Msg: fmt.Sprintf(format, args...), Kind: kind}
}

// caret renders the line holding pos with a ^ under the offending byte.
func caret(text string, pos int) string {
	if pos < 0 {
		pos = 0
	}
	if pos > len(text) {
		pos = len(text)
	}
	start := 0
	for i := pos - 1; i >= 0; i-- {
		if text[i] == '\n' {
			start = i + 1
			break
		}
	}
	end := len(text)
	for i := pos; i < len(text); i++ {
		if text[i] == '\n' {
			end = i
			break
		}
	}
	pad := make([]byte, 0, pos-start)
	for i := start; i < pos; i++ {
		if text[i] == '\t' {
			pad = append(pad, '\t')
		} else {
			pad = append(pad, ' ')
		}
	}
	return text[start:end] + "\n" + string(pad) + "^"
}
