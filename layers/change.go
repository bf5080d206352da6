package layers

import "context"

// ChangeOp is the kind of a committed change in a store's history.
type ChangeOp string

const (
	ChangeCreate  ChangeOp = "create"
	ChangeReplace ChangeOp = "replace"
	ChangeDelete  ChangeOp = "delete"
	ChangeImport  ChangeOp = "import" // a bulk import batch: reload the layer
)

// Change is one committed change as a store's history records it.
type Change struct {
	HistoryID int64
	Layer     string
	Op        ChangeOp
	ID        int64    // feature id; 0 for ChangeImport
	Feature   *Feature // the feature after the change; nil for delete and import
}

// Follower is a Store whose committed changes other processes can follow
// (PostGIS: history table plus NOTIFY). Several servers on one database use
// it to keep their indexes in step.
type Follower interface {
	// HistoryHead returns the id of the newest committed history row (0 if none).
	HistoryHead(ctx context.Context) (int64, error)
	// Follow calls apply, in commit order, for every change committed after
	// history id `after`, then for each new one as it commits, until ctx is
	// done. It reconnects by itself and catches up without skipping a row.
	Follow(ctx context.Context, after int64, apply func(Change) error) error
}

type userKey struct{}

// WithUser records who makes the request, for the stores' change history.
func WithUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

// Anonymous is the user recorded for a change made without a login.
const Anonymous = "anonymous"

// UserFrom returns the user recorded by WithUser, or Anonymous.
func UserFrom(ctx context.Context) string {
	if u, _ := ctx.Value(userKey{}).(string); u != "" {
		return u
	}
	return Anonymous
}
