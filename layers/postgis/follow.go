package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onemap/onemap/layers"
)

// HistoryHead returns the newest history id (0 when there is none).
func (s *Store) HistoryHead(ctx context.Context) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM onemap_history`).Scan(&id); err != nil {
		return 0, fmt.Errorf("postgis: history head: %w", unavailable(err))
	}
	return id, nil
}

// Follow applies every change committed after history id `after`, in order,
// and then each new one as its NOTIFY arrives, until ctx is done. When the
// connection drops it reconnects with back-off and catches up from the
// history, so nothing is skipped; apply must tolerate seeing a change it
// already has (the index ignores versions it holds).
func (s *Store) Follow(ctx context.Context, after int64, apply func(layers.Change) error) error {
	backoff := 100 * time.Millisecond
	for {
		last, err := s.followOnce(ctx, after, apply)
		if last > after {
			after = last
			backoff = 100 * time.Millisecond
		}
		if ctx.Err() != nil {
			return nil
		}
		s.log.Warn("change feed interrupted; reconnecting", "after", after, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (s *Store) followOnce(ctx context.Context, after int64, apply func(layers.Change) error) (int64, error) {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return after, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return after, err
	}
	// Listen first, then catch up: a change committed in between is both in
	// the history and notified, and applying it twice is harmless.
	for {
		after, err = s.catchUp(ctx, conn, after, apply)
		if err != nil {
			return after, err
		}
		// Wake at least every few seconds: a NOTIFY is lost if the listening
		// connection broke without our noticing, the history is not.
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil && !(errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil) {
			return after, err
		}
		if err != nil && conn.IsClosed() {
			return after, err
		}
	}
}

// catchUp applies the history rows after `after`, in id order.
func (s *Store) catchUp(ctx context.Context, conn *pgx.Conn, after int64, apply func(layers.Change) error) (int64, error) {
	for {
		rows, err := conn.Query(ctx, `SELECT id, layer, op, coalesce(feature_id, 0), new_value::text FROM onemap_history WHERE id > $1 ORDER BY id LIMIT 1000`, after)
		if err != nil {
			return after, err
		}
		type row struct {
			id, fid   int64
			layer, op string
			newValue  *string
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.layer, &r.op, &r.fid, &r.newValue); err != nil {
				rows.Close()
				return after, err
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return after, err
		}
		for _, r := range batch {
			l := s.cat.Layer(r.layer)
			if l == nil {
				after = r.id // a layer this server's catalogue does not serve
				continue
			}
			c := layers.Change{HistoryID: r.id, Layer: r.layer, Op: layers.ChangeOp(r.op), ID: r.fid}
			if (c.Op == layers.ChangeCreate || c.Op == layers.ChangeReplace) && r.newValue != nil {
				f, err := featureFromJSON(l, r.fid, []byte(*r.newValue))
				if err != nil {
					return after, fmt.Errorf("history %d: %w", r.id, err)
				}
				c.Feature = f
			}
			if err := apply(c); err != nil {
				return after, fmt.Errorf("apply history %d: %w", r.id, err)
			}
			after = r.id
		}
		if len(batch) < 1000 {
			return after, nil
		}
	}
}
