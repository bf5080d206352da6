// Package web holds the map page, embedded in the binary: the bundle that
// build.mjs makes from src/ with the pinned esbuild (committed in dist/,
// so that building onemap needs no npm; TestBundleMatchesSources checks
// that it matches its sources).
package web

import (
	"embed"
	"io/fs"
	"mime"
)

//go:embed dist
var files embed.FS

func init() {
	// The web font's type, whatever the machine's mime tables say.
	mime.AddExtensionType(".woff2", "font/woff2")
	mime.AddExtensionType(".mjs", "text/javascript; charset=utf-8")
}

// Files returns the page's files rooted at the folder that holds index.html.
func Files() fs.FS {
	sub, err := fs.Sub(files, "dist")
	if err != nil {
		panic(err) // the embedded folder is fixed at build time
	}
	return sub
}
