package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/onemap/onemap/layers"
)

// Action is what a request does.
type Action string

const (
	// Read: the catalogue entry's data, features, tiles, identify, OGC items.
	Read Action = "read"
	// Analyse: queries, overlay and compliance, statistics, supervision lists.
	Analyse Action = "analyse"
	// Check: record a field check (核查) of a supervision case.
	Check Action = "check"
	// Write: create, replace or delete features.
	Write Action = "write"
	// Administer: profiling, revoking keys.
	Administer Action = "administer"
)

// Actions lists every action.
var Actions = []Action{Read, Analyse, Check, Write, Administer}

// grants is the role matrix: which roles may do each action.
var grants = map[Action][]Role{
	Read:       {Viewer, Analyst, Supervisor, Editor, Admin},
	Analyse:    {Analyst, Supervisor, Admin},
	Check:      {Supervisor, Admin},
	Write:      {Editor, Admin},
	Administer: {Admin},
}

// restrictedReaders are the roles that may see restricted layers (owner
// names, case files: personal data).
var restrictedReaders = []Role{Supervisor, Admin}

// demoRoles are what an anonymous caller holds under Policy.Demo.
var demoRoles = []Role{Analyst, Supervisor, Editor}

// ErrUnauthenticated and ErrForbidden are what a *Denied wraps: the API
// answers 401 and 403.
var (
	ErrUnauthenticated = errors.New("not authenticated")
	ErrForbidden       = errors.New("not allowed")
)

// Denied says why a request was refused.
type Denied struct {
	Unauthenticated bool // a login could help (401); otherwise 403
	Reason          string
}

func (d *Denied) Error() string { return d.Reason }

// Is lets errors.Is match ErrUnauthenticated or ErrForbidden.
func (d *Denied) Is(target error) bool {
	if d.Unauthenticated {
		return target == ErrUnauthenticated
	}
	return target == ErrForbidden
}

// Policy decides. It is a value: the same policy answers every route.
//
//   - public layers: anyone may read and analyse them;
//   - internal layers: any role may read them; analyses need analyst,
//     supervisor or admin;
//   - restricted layers: only supervisors and admins, and never an
//     anonymous caller, whatever the mode;
//   - writes need editor or admin (and the right to read the layer); field
//     checks need supervisor or admin; profiling needs admin;
//   - a caller bound to admin-code regions sees the features of non-public
//     layers, and changes the features of any layer, only in its regions.
//
// Without an auth file anonymous callers only read and analyse public
// layers. Demo gives anonymous callers the analyst, supervisor and editor
// rights on public and internal layers (the one-command demo).
type Policy struct {
	Demo bool
}

// roles are the roles a caller acts with on a layer of access class ac.
func (pol Policy) roles(p *Principal, ac layers.Access) []Role {
	if p.Authenticated() {
		return p.Roles
	}
	if pol.Demo && ac != layers.Restricted {
		return demoRoles
	}
	return nil
}

// Allow decides an action not bound to one layer (an analysis across
// layers, a field check, profiling): nil when allowed, else a *Denied.
func (pol Policy) Allow(p *Principal, a Action) error {
	if hasAny(pol.roles(p, layers.Internal), grants[a]) {
		return nil
	}
	return pol.deny(p, fmt.Sprintf("%s needs the role %s", a, roleList(grants[a])))
}

// Layer decides whether the caller may do a to layer l: nil when allowed,
// else a *Denied (Unauthenticated when a login could help).
func (pol Policy) Layer(p *Principal, l *layers.Layer, a Action) error {
	if l.Access == layers.Public && (a == Read || a == Analyse) {
		return nil
	}
	roles := pol.roles(p, l.Access)
	if l.Access == layers.Restricted && !hasAny(roles, restrictedReaders) {
		return pol.deny(p, fmt.Sprintf("layer %s holds personal data and is served only to the roles %s", l.ID, roleList(restrictedReaders)))
	}
	if a == Read && l.Access == layers.Internal && len(roles) > 0 {
		return nil // any role reads internal layers
	}
	if hasAny(roles, grants[a]) {
		return nil
	}
	return pol.deny(p, fmt.Sprintf("%s on layer %s needs the role %s", a, l.ID, roleList(grants[a])))
}

func (pol Policy) deny(p *Principal, reason string) *Denied {
	if !p.Authenticated() {
		return &Denied{Unauthenticated: true, Reason: reason + "; log in first"}
	}
	held := "no role"
	if len(p.Roles) > 0 {
		held = "the roles " + strings.Join(roleNames(p.Roles), ", ")
	}
	return &Denied{Reason: fmt.Sprintf("%s (%s holds %s)", reason, p.Name, held)}
}

// RegionBound says whether the caller sees (or changes) only the features
// of layer l that lie in its regions when doing a: always for changes, and
// for reads of non-public layers (public layers are open to anyone anyway).
func (pol Policy) RegionBound(p *Principal, l *layers.Layer, a Action) bool {
	if !p.Bound() {
		return false
	}
	return a == Write || a == Check || l.Access != layers.Public
}

// TileView names what a caller sees in tiles of the layers ls, for a tile
// cache keyed by it: "" when the tiles are the same for every caller allowed
// to ask (no region binding applies), otherwise the caller's regions. private
// says the tiles must not sit in shared HTTP caches: they hold layers an
// anonymous caller may not read, or are cut to the caller's regions.
func (pol Policy) TileView(p *Principal, ls []*layers.Layer) (view string, private bool) {
	anon := Anonymous()
	for _, l := range ls {
		if pol.RegionBound(p, l, Read) {
			view = "regions:" + strings.Join(p.Regions, ",")
		}
		if pol.Layer(anon, l, Read) != nil {
			private = true
		}
	}
	return view, private || view != ""
}

func hasAny(have, want []Role) bool {
	for _, r := range have {
		if slices.Contains(want, r) {
			return true
		}
	}
	return false
}

func roleNames(rs []Role) []string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return s
}

func roleList(rs []Role) string { return strings.Join(roleNames(rs), " or ") }
