package ogc

import (
	"iter"
	"math"
	"strings"
	"time"

	"github.com/onemap/onemap/layers"
)

// Time in this file is a half-open span [lo, hi) of Unix nanoseconds. A
// date is the whole UTC day it names (the catalogue's dates carry no time
// zone); an instant with a time is the nanosecond it names; an open end is
// the minimum or maximum int64.
type span struct{ lo, hi int64 }

const (
	day      = int64(24 * time.Hour)
	openLow  = math.MinInt64
	openHigh = math.MaxInt64
)

func (s span) intersects(o span) bool { return s.lo < o.hi && o.lo < s.hi }

// parseDateDay reads YYYY-MM-DD as the span of its UTC day.
func parseDateDay(s string) (span, bool) {
	if len(s) != 10 {
		return span{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return span{}, false
	}
	lo := t.UnixNano()
	return span{lo, lo + day}, true
}

// parseInstant reads a date or an RFC 3339 date-time (with Z or an offset).
// A date followed by a bare T is read as the date: GDAL up to 3.6 writes
// dates that way when it turns a -where on a date field into datetime.
func parseInstant(s string) (span, bool) {
	if sp, ok := parseDateDay(strings.TrimSuffix(s, "T")); ok {
		return sp, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 1678 || t.Year() > 2261 { // the range of UnixNano
		return span{}, false
	}
	lo := t.UnixNano()
	return span{lo, lo + 1}, true
}

// parseDatetime reads OGC API's datetime: an instant, or an interval
// start/end whose ends may be open (".." or empty).
func parseDatetime(v string) (span, error) {
	bad := func(what string) (span, error) {
		return span{}, paramErr("datetime", "%q: %s; give a date (2024-05-01), a date-time (2024-05-01T08:00:00Z) or an interval start/end with .. for an open end", v, what)
	}
	if v == "" {
		return bad("is empty")
	}
	start, end, isInterval := strings.Cut(v, "/")
	if !isInterval {
		sp, ok := parseInstant(v)
		if !ok {
			return bad("is not a date or an RFC 3339 date-time")
		}
		return sp, nil
	}
	if strings.Contains(end, "/") {
		return bad("has more than one /")
	}
	out := span{openLow, openHigh}
	if start != ".." && start != "" {
		sp, ok := parseInstant(start)
		if !ok {
			return bad("its start is not a date or an RFC 3339 date-time")
		}
		out.lo = sp.lo
	}
	if end != ".." && end != "" {
		sp, ok := parseInstant(end)
		if !ok {
			return bad("its end is not a date or an RFC 3339 date-time")
		}
		out.hi = sp.hi
	}
	if out.lo >= out.hi {
		return bad("its start is after its end")
	}
	return out, nil
}

// datetimeFilter keeps the features whose time (the layer's temporal
// field as a day, or its interval from the start day to the end day,
// open where a bound is null) meets the requested instant or interval.
// A layer without a temporal field refuses datetime; a feature with a null
// instant never matches.
func datetimeFilter(l *layers.Layer, v string) (func(*layers.Feature) bool, error) {
	if len(l.Temporal) == 0 {
		return nil, paramErr("datetime", "layer %s has no date that places its features in time", l.ID)
	}
	q, err := parseDatetime(v)
	if err != nil {
		return nil, err
	}
	return func(f *layers.Feature) bool {
		sp, ok := featureSpan(l, f)
		return ok && sp.intersects(q)
	}, nil
}

// featureSpan is the time of a feature on its layer's temporal field(s).
func featureSpan(l *layers.Layer, f *layers.Feature) (span, bool) {
	at := func(name string) (span, bool) {
		s, _ := f.Props.At(l.FieldIndex(name)).(string)
		return parseDateDay(s)
	}
	if len(l.Temporal) == 1 {
		return at(l.Temporal[0])
	}
	out := span{openLow, openHigh}
	if s, ok := at(l.Temporal[0]); ok {
		out.lo = s.lo
	}
	if e, ok := at(l.Temporal[1]); ok {
		out.hi = e.hi
	}
	return out, out.lo < out.hi
}

// TemporalInterval is the interval the features of l span, as RFC 3339
// date-times (nil ends are open), or nil when the layer has no temporal
// field or no dated feature.
func TemporalInterval(l *layers.Layer, feats iter.Seq[*layers.Feature]) *[2]*string {
	if len(l.Temporal) == 0 {
		return nil
	}
	lo, hi, any := int64(openHigh), int64(openLow), false
	for f := range feats {
		sp, ok := featureSpan(l, f)
		if !ok {
			continue
		}
		any = true
		lo, hi = min(lo, sp.lo), max(hi, sp.hi)
	}
	if !any {
		return nil
	}
	var out [2]*string
	if lo != openLow {
		s := time.Unix(0, lo).UTC().Format(time.RFC3339)
		out[0] = &s
	}
	if hi != openHigh {
		s := time.Unix(0, hi-1).UTC().Truncate(time.Second).Format(time.RFC3339)
		out[1] = &s
	}
	return &out
}
