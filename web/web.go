// Package web holds the map page's files, embedded in the binary.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// Files returns the page's files rooted at the folder that holds index.html.
func Files() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded folder is fixed at build time
	}
	return sub
}
