package cql2

import (
	"strings"
	"unicode/utf8"
)

// likeTok is one piece of a LIKE pattern: a literal run, _ (one character)
// or % (any run, possibly empty).
type likeTok struct {
	kind byte // 'l', '_' or '%'
	lit  string
}

// likeMatcher matches strings against a compiled LIKE pattern. Patterns
// that are a literal with % only at the ends become one strings call.
type likeMatcher struct {
	toks  []likeTok
	fast  func(string) bool
	exact string
}

// compileLike reads a pattern: % any run, _ one character, a backslash
// makes the next character literal.
func compileLike(p string) likeMatcher {
	var toks []likeTok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, likeTok{kind: 'l', lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\':
			if i+1 < len(p) {
				i++
				lit.WriteByte(p[i])
			} else {
				lit.WriteByte(c)
			}
		case '%':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != '%' {
				toks = append(toks, likeTok{kind: '%'})
			}
		case '_':
			flush()
			toks = append(toks, likeTok{kind: '_'})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	m := likeMatcher{toks: toks}
	switch {
	case len(toks) == 0:
		m.fast = func(s string) bool { return s == "" }
	case len(toks) == 1 && toks[0].kind == 'l':
		l := toks[0].lit
		m.fast = func(s string) bool { return s == l }
	case len(toks) == 1 && toks[0].kind == '%':
		m.fast = func(string) bool { return true }
	case len(toks) == 2 && toks[0].kind == 'l' && toks[1].kind == '%':
		l := toks[0].lit
		m.fast = func(s string) bool { return strings.HasPrefix(s, l) }
	case len(toks) == 2 && toks[0].kind == '%' && toks[1].kind == 'l':
		l := toks[1].lit
		m.fast = func(s string) bool { return strings.HasSuffix(s, l) }
	case len(toks) == 3 && toks[0].kind == '%' && toks[1].kind == 'l' && toks[2].kind == '%':
		l := toks[1].lit
		m.fast = func(s string) bool { return strings.Contains(s, l) }
	}
	return m
}

func (m likeMatcher) match(s string) bool {
	if m.fast != nil {
		return m.fast(s)
	}
	// Greedy matching that remembers only the last %: when a later piece
	// fails, that % takes one more character and the rest is retried.
	toks := m.toks
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case '%':
				starT, starS = ti, si
				ti++
				continue
			case '_':
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			default:
				if strings.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starS:])
		starS += w
		si, ti = starS, starT+1
	}
}
