package spatial

import "sync"

// feed delivers the index's changes to its subscribers, in the order the
// index applied them, on a goroutine of its own: writers enqueue while they
// hold the index lock (so queue order is data-version order) and are never
// held up by a subscriber; an Editor waits for its change's done channel
// before acknowledging the write. The goroutine runs only while there is
// something to deliver.
type feed struct {
	mu      sync.Mutex
	subs    []func(Change)
	queue   []queuedChange
	running bool
}

type queuedChange struct {
	c      Change
	marker bool // delivers nothing: settled waits for it
	done   chan struct{}
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (f *feed) subscribe(fn func(Change)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs = append(f.subs, fn)
}

// enqueue queues c and returns a channel closed once every subscriber has
// returned for it.
func (f *feed) enqueue(c Change) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.subs) == 0 && !f.running {
		return closedChan
	}
	done := make(chan struct{})
	f.queue = append(f.queue, queuedChange{c: c, done: done})
	if !f.running {
		f.running = true
		go f.deliver()
	}
	return done
}

func (f *feed) deliver() {
	for {
		f.mu.Lock()
		batch, subs := f.queue, f.subs
		f.queue = nil
		if len(batch) == 0 {
			f.running = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		for _, q := range batch {
			for _, fn := range subs {
				if !q.marker {
					fn(q.c)
				}
			}
			close(q.done)
		}
	}
}

// settled returns a channel closed once everything queued so far has been
// delivered.
func (f *feed) settled() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) == 0 && !f.running {
		return closedChan
	}
	if len(f.queue) > 0 {
		return f.queue[len(f.queue)-1].done
	}
	// The running goroutine holds the last batch: queue a marker behind it.
	done := make(chan struct{})
	f.queue = append(f.queue, queuedChange{marker: true, done: done})
	return done
}

// Settled returns a channel closed once every change applied so far has
// reached the subscribers (for tests and for waiting out a follower's burst).
func (idx *Index) Settled() <-chan struct{} { return idx.feed.settled() }
