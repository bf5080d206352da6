package layers

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors every Store returns (wrapped) so callers can map them to statuses.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("version conflict")
	ErrUnavailable = errors.New("store unavailable")
)

// NotFoundError names the feature or layer that is not there; its message
// is fit for clients.
type NotFoundError struct {
	Layer string
	ID    int64 // 0: the layer itself
}

func (e *NotFoundError) Error() string {
	if e.ID == 0 {
		return fmt.Sprintf("no layer %q in the catalogue", e.Layer)
	}
	return fmt.Sprintf("no feature %d in layer %s", e.ID, e.Layer)
}

func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// ConflictError says which version the stored feature has when an If-Match failed.
type ConflictError struct {
	Layer   string
	ID      int64
	Want    int64 // the version the caller expected
	Current int64 // the version in the store
}

func (e *ConflictError) Error() string {
	if e.Want <= 0 {
		return fmt.Sprintf("%s feature %d is at version %d, which If-Match does not name", e.Layer, e.ID, e.Current)
	}
	return fmt.Sprintf("%s feature %d is at version %d, not %d", e.Layer, e.ID, e.Current, e.Want)
}

// IfMatch is a write's precondition on the stored version, as an RFC 9110
// If-Match header gives it. The zero value (header absent, or "*") asks
// nothing; with Tags set, the stored version must be one of Versions, the
// versions named by strong entity tags (weak tags never match, so a header
// of weak tags only leaves Versions empty and nothing matches).
type IfMatch struct {
	Tags     bool
	Versions []int64
}

// MatchVersion asks for exactly version v.
func MatchVersion(v int64) IfMatch { return IfMatch{Tags: true, Versions: []int64{v}} }

// Allows says whether a feature at version current meets the precondition.
func (m IfMatch) Allows(current int64) bool {
	if !m.Tags {
		return true
	}
	for _, v := range m.Versions {
		if v == current {
			return true
		}
	}
	return false
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

// Problem is one precise reason why a feature was refused.
type Problem struct {
	Feature  int       `json:"feature,omitempty"` // 1-based position in a batch or file; 0 = the single feature
	Field    string    `json:"field,omitempty"`   // attribute name, when the problem is an attribute
	Part     *int      `json:"part,omitempty"`    // 0-based polygon or line within a multi-geometry
	Ring     *int      `json:"ring,omitempty"`    // 0-based ring within the polygon (0 = exterior)
	Reason   string    `json:"reason"`
	Location []float64 `json:"location,omitempty"` // lon, lat where the geometry problem is
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Feature > 0 {
		fmt.Fprintf(&b, "feature %d: ", p.Feature)
	}
	if p.Field != "" {
		fmt.Fprintf(&b, "field %s: ", p.Field)
	}
	if p.Part != nil {
		fmt.Fprintf(&b, "part %d: ", *p.Part)
	}
	if p.Ring != nil {
		fmt.Fprintf(&b, "ring %d: ", *p.Ring)
	}
	b.WriteString(p.Reason)
	if len(p.Location) == 2 {
		fmt.Fprintf(&b, " at (%g %g)", p.Location[0], p.Location[1])
	}
	return b.String()
}

// Problems is a list of problems, reported together.
type Problems []Problem

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Field < ps[j].Field })
}

// ValidationError is returned when a feature breaks the layer's rules (422).
type ValidationError struct {
	Layer    string
	Problems Problems
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("invalid %s feature: %s", e.Layer, strings.Join(parts, "; "))
}

// AtFeature returns a copy of the error with every problem placed at position n (1-based).
func (e *ValidationError) AtFeature(n int) *ValidationError {
	c := &ValidationError{Layer: e.Layer, Problems: make(Problems, len(e.Problems))}
	for i, p := range e.Problems {
		p.Feature = n
		c.Problems[i] = p
	}
	return c
}

func intp(i int) *int { return &i }
