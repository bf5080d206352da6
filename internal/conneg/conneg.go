// Package conneg holds what HTTP answers of stored bytes share: the
// Accept-Encoding and If-None-Match readings that pick and validate a
// representation, strong entity tags and gzip. Tiles and the map page's
// files are served with them.
package conneg

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strconv"
	"strings"
)

// AcceptsGzip reads Accept-Encoding: gzip (or *) with a q-value above 0,
// without allocating.
func AcceptsGzip(headers []string) bool {
	star, gzip := false, -1
	for _, header := range headers {
		for header != "" {
			var part string
			part, header, _ = strings.Cut(header, ",")
			name, params, _ := strings.Cut(part, ";")
			name = strings.TrimSpace(name)
			ok := true
			for params != "" {
				var p string
				p, params, _ = strings.Cut(params, ";")
				k, v, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q <= 0 {
						ok = false
					}
				}
			}
			switch {
			case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
				if ok {
					gzip = 1
				} else {
					gzip = 0
				}
			case name == "*":
				star = ok
			}
		}
	}
	if gzip >= 0 {
		return gzip == 1
	}
	return star
}

// NoneMatch says whether If-None-Match names the tag (weak comparison, as
// RFC 9110 asks for If-None-Match) or is "*".
func NoneMatch(headers []string, tag string) bool {
	for _, header := range headers {
		for header != "" {
			var t string
			t, header, _ = strings.Cut(header, ",")
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
				return true
			}
		}
	}
	return false
}

// ETag is a strong validator of the representation's bytes: two CRC-32s
// (Castagnoli and IEEE, both done in hardware: a 64 KB tile in a few
// microseconds, where SHA-256 took 45) and the length. A validator only
// has to tell versions of one tile apart; 64 bits of checksum do.
func ETag(b []byte) string {
	var tag [1 + 8 + 8 + 1 + 16 + 1]byte
	out := append(tag[:0], '"')
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(b, castagnoli))
	out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(b))
	h := hex.EncodeToString(out[1:9])
	return `"` + h + "-" + strconv.FormatInt(int64(len(b)), 16) + `"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Gzip compresses b (default level).
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	_, _ = zw.Write(b) // a bytes.Buffer does not fail
	_ = zw.Close()
	return buf.Bytes()
}
