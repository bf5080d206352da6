// Package crs names the coordinate reference systems onemap accepts and
// converts geometries between them with PROJ.
//
// Accepted: EPSG:4490 (CGCS2000 geographic, the storage CRS), EPSG:4326
// (WGS 84, which PROJ and the EPSG registry treat as coinciding with
// CGCS2000: a ballpark no-op, centimetre level) and the 64 CGCS2000
// Gauss-Krüger CRSs EPSG:4491–4554:
//
//	4491–4501  6° zones 13–23, easting with the zone prefix (zone×10⁶ + 500 000)
//	4502–4512  6° zones, central meridians 75°E–135°E, no prefix
//	4513–4533  3° zones 25–45, easting with the zone prefix
//	4534–4554  3° zones, central meridians 75°E–135°E, no prefix
//
// Coordinates are always easting (or longitude) first, as GDAL, PostGIS,
// GeoJSON and WKT write them, whatever axis order the EPSG definition gives
// (northing first for the zones, latitude first for 4490 and 4326).
package crs

import (
	"errors"
	"fmt"
	"math"
)

// EPSG codes of the geographic CRSs.
const (
	CGCS2000 = 4490
	WGS84    = 4326
)

// The Gauss-Krüger series of CGCS2000 in the EPSG registry.
const (
	first6Prefixed = 4491 // zone 13
	first6Plain    = 4502 // CM 75°E
	first3Prefixed = 4513 // zone 25
	first3Plain    = 4534 // CM 75°E
	lastZoneCode   = 4554

	first6Zone, last6Zone = 13, 23
	first3Zone, last3Zone = 25, 45
)

// CRS describes one accepted coordinate reference system.
type CRS struct {
	EPSG int
	Name string
	// ZoneWidth is 3 or 6 for a Gauss-Krüger zone, 0 for a geographic CRS.
	ZoneWidth int
	// Zone is the zone number in its series (3°: 25–45, 6°: 13–23).
	Zone int
	// CentralMeridian in degrees east.
	CentralMeridian float64
	// ZonePrefix says the easting carries the zone number in its millions
	// (39 500 000 for the central meridian of 3° zone 39).
	ZonePrefix bool
}

// Geographic says whether coordinates are lon/lat degrees.
func (c CRS) Geographic() bool { return c.ZoneWidth == 0 }

// FalseEasting is the easting of the central meridian.
func (c CRS) FalseEasting() float64 {
	if c.ZonePrefix {
		return float64(c.Zone)*1e6 + 500000
	}
	return 500000
}

func (c CRS) String() string { return fmt.Sprintf("EPSG:%d (%s)", c.EPSG, c.Name) }

// ErrUnsupported is wrapped by every error about a CRS or zone that does not
// exist or that onemap does not accept (a 400 for the API).
var ErrUnsupported = errors.New("unsupported coordinate reference system")

// UnsupportedError is a CRS code outside the accepted set.
type UnsupportedError struct{ EPSG int }

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("EPSG:%d is not accepted: use 4490 (CGCS2000), 4326 (WGS 84) or a CGCS2000 Gauss-Krüger zone 4491–4554", e.EPSG)
}

func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// ZoneError is a Gauss-Krüger zone that does not exist in the CGCS2000
// series (a zone number, zone width or central meridian out of range).
type ZoneError struct {
	Width  int
	Zone   int
	Reason string
}

func (e *ZoneError) Error() string { return e.Reason }

func (e *ZoneError) Unwrap() error { return ErrUnsupported }

// Lookup describes an accepted EPSG code.
func Lookup(epsg int) (CRS, error) {
	switch {
	case epsg == CGCS2000:
		return CRS{EPSG: epsg, Name: "CGCS2000"}, nil
	case epsg == WGS84:
		return CRS{EPSG: epsg, Name: "WGS 84"}, nil
	case epsg >= first6Prefixed && epsg < first6Plain:
		return gk(epsg, 6, first6Zone+epsg-first6Prefixed, true), nil
	case epsg >= first6Plain && epsg < first3Prefixed:
		return gk(epsg, 6, first6Zone+epsg-first6Plain, false), nil
	case epsg >= first3Prefixed && epsg < first3Plain:
		return gk(epsg, 3, first3Zone+epsg-first3Prefixed, true), nil
	case epsg >= first3Plain && epsg <= lastZoneCode:
		return gk(epsg, 3, first3Zone+epsg-first3Plain, false), nil
	}
	return CRS{}, &UnsupportedError{EPSG: epsg}
}

func gk(epsg, width, zone int, prefix bool) CRS {
	c := CRS{EPSG: epsg, ZoneWidth: width, Zone: zone, ZonePrefix: prefix}
	if width == 3 {
		c.CentralMeridian = float64(3 * zone)
	} else {
		c.CentralMeridian = float64(6*zone - 3)
	}
	switch {
	case width == 3 && prefix:
		c.Name = fmt.Sprintf("CGCS2000 / 3-degree Gauss-Kruger zone %d", zone)
	case width == 3:
		c.Name = fmt.Sprintf("CGCS2000 / 3-degree Gauss-Kruger CM %gE", c.CentralMeridian)
	case prefix:
		c.Name = fmt.Sprintf("CGCS2000 / Gauss-Kruger zone %d", zone)
	default:
		c.Name = fmt.Sprintf("CGCS2000 / Gauss-Kruger CM %gE", c.CentralMeridian)
	}
	return c
}

// GaussKruger returns the CGCS2000 Gauss-Krüger CRS of a zone: width 3 or 6,
// zone its number in that series, prefix whether eastings carry the zone
// number. A zone that does not exist is a *ZoneError.
func GaussKruger(width, zone int, prefix bool) (CRS, error) {
	var lo, hi, base int
	switch width {
	case 3:
		lo, hi = first3Zone, last3Zone
		base = first3Plain
		if prefix {
			base = first3Prefixed
		}
	case 6:
		lo, hi = first6Zone, last6Zone
		base = first6Plain
		if prefix {
			base = first6Prefixed
		}
	default:
		return CRS{}, &ZoneError{Width: width, Zone: zone, Reason: fmt.Sprintf("zone width %d° does not exist: Gauss-Krüger zones are 3° or 6° wide", width)}
	}
	if zone < lo || zone > hi {
		return CRS{}, &ZoneError{Width: width, Zone: zone, Reason: fmt.Sprintf("there is no CGCS2000 %d° Gauss-Krüger zone %d: the series covers zones %d–%d", width, zone, lo, hi)}
	}
	return Lookup(base + zone - lo)
}

// GaussKrugerAt returns the zone of a series whose central meridian is cm
// degrees east (files sometimes give the meridian instead of the zone number).
func GaussKrugerAt(width int, cm float64, prefix bool) (CRS, error) {
	var zone float64
	switch width {
	case 3:
		zone = cm / 3
	case 6:
		zone = (cm + 3) / 6
	default:
		return GaussKruger(width, 0, prefix)
	}
	if zone != math.Trunc(zone) {
		return CRS{}, &ZoneError{Width: width, Reason: fmt.Sprintf("%g°E is not the central meridian of a %d° Gauss-Krüger zone", cm, width)}
	}
	return GaussKruger(width, int(zone), prefix)
}

// ZoneOf detects the zone from an easting that carries the zone prefix:
// 39 500 000 is 3° zone 39 (EPSG:4527), 20 500 000 is 6° zone 20
// (EPSG:4498). The two series' numbers do not overlap (6°: 13–23, 3°:
// 25–45), so the prefix alone decides. An easting without a prefix (below
// 10⁶) or with one that names no zone is a *ZoneError.
func ZoneOf(easting float64) (CRS, error) {
	if math.IsNaN(easting) || math.IsInf(easting, 0) || easting < 1e6 || easting >= 1e8 {
		return CRS{}, &ZoneError{Reason: fmt.Sprintf("easting %.3f carries no zone prefix: a prefixed easting is zone×1 000 000 + 500 000 ± a few hundred km", easting)}
	}
	zone := int(easting / 1e6)
	switch {
	case zone >= first6Zone && zone <= last6Zone:
		return GaussKruger(6, zone, true)
	case zone >= first3Zone && zone <= last3Zone:
		return GaussKruger(3, zone, true)
	}
	return CRS{}, &ZoneError{Zone: zone, Reason: fmt.Sprintf("easting %.3f has zone prefix %d, which is neither a 6° zone (13–23) nor a 3° zone (25–45)", easting, zone)}
}
