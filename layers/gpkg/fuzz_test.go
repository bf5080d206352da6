package gpkg

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// FuzzGeoPackageBlob feeds geometry blobs as a foreign or damaged file
// could hold them: decoding never panics, and what decodes encodes back to
// a blob that decodes to the same geometry with a consistent envelope.
func FuzzGeoPackageBlob(f *testing.F) {
	for _, g := range []orb.Geometry{
		orb.Point{112.5, 30.25},
		orb.MultiPolygon{{{{112, 30}, {112.1, 30}, {112.1, 30.1}, {112, 30}}}},
		orb.MultiLineString{{{112, 30}, {112.1, 30.2}}},
		orb.MultiPolygon{},
	} {
		b, _, _, err := encodeGP(g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2]) // truncated
	}
	good, _, _, _ := encodeGP(orb.MultiPolygon{{{{1, 2}, {3, 2}, {3, 4}, {1, 2}}}})
	for _, mutate := range []func([]byte){
		func(b []byte) { b[2] = 1 },                                       // version 1
		func(b []byte) { b[3] |= flagExtended },                           // extended type
		func(b []byte) { b[3] = b[3]&^flagEnvMask | 5<<1 },                // envelope indicator 5
		func(b []byte) { b[3] = b[3]&^flagEnvMask | 4<<1 },                // XYZM envelope, too short
		func(b []byte) { b[3] &^= flagLittle },                            // big-endian header read as such
		func(b []byte) { binary.LittleEndian.PutUint32(b[4:], 4326) },     // another srs
		func(b []byte) { binary.LittleEndian.PutUint32(b[41+5:], 1<<30) }, // a huge ring count
		func(b []byte) { b[0] = 'X' },
	} {
		b := bytes.Clone(good)
		mutate(b)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("GP"))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := decodeGP(b)
		_, _, eerr := envelope(b)
		if err != nil {
			return
		}
		if eerr != nil {
			t.Fatalf("decodes (%T) but its envelope does not: %v", g, eerr)
		}
		if !finite(g) {
			return // NaN and Inf do not round-trip by equality
		}
		again, bound, ok, err := encodeGP(g)
		if err != nil {
			return // a geometry type the layers never hold (a collection, say)
		}
		g2, err := decodeGP(again)
		if err != nil {
			t.Fatalf("our own blob of %T does not decode: %v", g, err)
		}
		if !orb.Equal(g, g2) {
			t.Fatalf("round trip changed %v into %v", g, g2)
		}
		eb, eok, err := envelope(again)
		if err != nil || eok != ok || (ok && eb != bound) {
			t.Fatalf("envelope %v %v %v, want %v %v", eb, eok, err, bound, ok)
		}
	})
}

func finite(g orb.Geometry) bool {
	ok := true
	var walk func(orb.Geometry)
	walk = func(g orb.Geometry) {
		switch v := g.(type) {
		case orb.Point:
			ok = ok && !math.IsNaN(v[0]) && !math.IsNaN(v[1]) && !math.IsInf(v[0], 0) && !math.IsInf(v[1], 0)
		case orb.MultiPoint:
			for _, p := range v {
				walk(p)
			}
		case orb.LineString:
			walk(orb.MultiPoint(v))
		case orb.Ring:
			walk(orb.MultiPoint(v))
		case orb.MultiLineString:
			for _, l := range v {
				walk(l)
			}
		case orb.Polygon:
			for _, r := range v {
				walk(r)
			}
		case orb.MultiPolygon:
			for _, p := range v {
				walk(p)
			}
		case orb.Collection:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(g)
	return ok
}
