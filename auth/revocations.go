package auth

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// revocations holds logged-out token ids (until their expiry) and revoked
// key ids, checked on every request. With a file, each revocation is
// appended and synced before it is acknowledged, and read back at start.
type revocations struct {
	mu     sync.RWMutex
	tokens map[string]time.Time
	keys   map[string]bool
	path   string
	now    func() time.Time
}

func openRevocations(path string, now func() time.Time) (*revocations, error) {
	r := &revocations{tokens: map[string]time.Time{}, keys: map[string]bool{}, path: path, now: now}
	if path == "" {
		return r, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("revocations file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 0:
		case fields[0] == "key" && len(fields) == 2:
			r.keys[fields[1]] = true
		case fields[0] == "token" && len(fields) == 3:
			exp, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("revocations file %s line %d: bad expiry %q", path, n, fields[2])
			}
			if t := time.Unix(exp, 0); t.After(now()) {
				r.tokens[fields[1]] = t
			}
		default:
			// A line cut short by a crash mid-append is the only way to get
			// here from our own writes; anything else is an edit gone wrong.
			return nil, fmt.Errorf("revocations file %s line %d: expected \"token ID EXPIRY\" or \"key ID\"", path, n)
		}
	}
	return r, sc.Err()
}

func (r *revocations) token(id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.tokens[id]
	return ok
}

func (r *revocations) key(id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[id]
}

func (r *revocations) addToken(id string, exp time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.append(fmt.Sprintf("token %s %d\n", id, exp.Unix())); err != nil {
		return err
	}
	now := r.now()
	for k, t := range r.tokens { // expired tokens need no entry
		if !t.After(now) {
			delete(r.tokens, k)
		}
	}
	r.tokens[id] = exp
	return nil
}

func (r *revocations) addKey(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.append("key " + id + "\n"); err != nil {
		return err
	}
	r.keys[id] = true
	return nil
}

func (r *revocations) append(line string) error {
	if r.path == "" {
		return nil
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("revocations file: %w", err)
	}
	_, err = f.WriteString(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("revocations file: %w", err)
	}
	return nil
}
