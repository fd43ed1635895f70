// Package playground is the memory page for people: a static page (HTML, JavaScript and CSS
// embedded in the binary, no build step, nothing fetched from elsewhere) that lists, searches and
// deletes a user's memories through the REST API (/api/whoami, /product/get_memory,
// /product/search, /product/delete_memory).
//
// Mount it under /playground/ with the prefix stripped:
//
//	mux.Handle("/playground/", http.StripPrefix("/playground", playground.Handler()))
package playground

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// ContentSecurityPolicy is sent with every response: the page loads scripts, styles, images and
// data only from its own origin, runs no inline script or style, and cannot be framed.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

// asset is one embedded file, ready to serve.
type asset struct {
	content     []byte
	contentType string
	etag        string
}

// contentTypes maps the extensions the page uses to their types; a file of any other type is not
// served, so nothing is left to sniffing.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// Handler serves the page: index.html at its root (and as /index.html), the other assets by name,
// 404 for anything else (there are no directories to list). Only GET and HEAD are allowed.
func Handler() http.Handler {
	files, err := load()
	if err != nil {
		// The assets are compiled in, so this is a build mistake, caught by the package's tests.
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = "index.html"
		}
		a, ok := files[name]
		if !ok {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		h.Set("Content-Type", a.contentType)
		h.Set("ETag", a.etag)
		// No modification time: the ETag (a hash of the content) answers revalidations.
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.content))
	})
}

// load reads the embedded assets (top level only) into memory.
func load() (map[string]asset, error) {
	entries, err := fs.ReadDir(assets, "assets")
	if err != nil {
		return nil, fmt.Errorf("playground: read embedded assets: %w", err)
	}
	files := map[string]asset{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		ct, ok := contentTypes[path.Ext(e.Name())]
		if !ok {
			return nil, fmt.Errorf("playground: asset %s has no known content type", e.Name())
		}
		b, err := assets.ReadFile("assets/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("playground: read asset %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		files[e.Name()] = asset{content: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	if _, ok := files["index.html"]; !ok {
		return nil, fmt.Errorf("playground: index.html is not embedded")
	}
	return files, nil
}
