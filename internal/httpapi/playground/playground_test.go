package playground

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// mounted is the handler as the server mounts it.
func mounted() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/playground/", http.StripPrefix("/playground", Handler()))
	return mux
}

func get(t *testing.T, h http.Handler, method, target string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAssetsServedWithTypesAndHeaders(t *testing.T) {
	h := mounted()
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/playground/", "text/html; charset=utf-8", `<script src="app.js" defer></script>`},
		{"/playground/index.html", "text/html; charset=utf-8", `data-testid="memory-list"`},
		{"/playground/app.js", "text/javascript; charset=utf-8", `"/product/get_memory"`},
		{"/playground/style.css", "text/css; charset=utf-8", `.badge.expired`},
		{"/playground/favicon.svg", "image/svg+xml", `<svg`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp := get(t, h, http.MethodGet, tc.path, nil)
			b := body(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control %q", got)
			}
			if got := resp.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
				t.Errorf("Content-Security-Policy %q", got)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if resp.Header.Get("ETag") == "" {
				t.Error("no ETag")
			}
			if !strings.Contains(b, tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
		})
	}
}

func TestCSPAllowsOnlySelf(t *testing.T) {
	resp := get(t, mounted(), http.MethodGet, "/playground/", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for _, name := range []string{"default-src", "script-src", "style-src", "img-src", "connect-src", "font-src", "form-action"} {
		if directives[name] != "'self'" {
			t.Errorf("%s is %q, want 'self' only (policy %q)", name, directives[name], csp)
		}
	}
	for name, want := range map[string]string{"object-src": "'none'", "frame-ancestors": "'none'", "base-uri": "'none'"} {
		if directives[name] != want {
			t.Errorf("%s is %q, want %s", name, directives[name], want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
		t.Errorf("policy allows too much: %q", csp)
	}
}

func TestUnknownPathsAre404WithoutListing(t *testing.T) {
	h := mounted()
	for _, p := range []string{"/playground/nope.js", "/playground/assets/", "/playground/assets/app.js",
		"/playground/../go.mod", "/playground/app.js/", "/playground/.", "/playground/index.html/x"} {
		resp := get(t, h, http.MethodGet, p, nil)
		b := body(t, resp)
		if resp.StatusCode != http.StatusNotFound && !(resp.StatusCode >= 300 && resp.StatusCode < 400) {
			t.Errorf("%s: status %d, want 404 (or a redirect the mux makes)", p, resp.StatusCode)
		}
		if resp.StatusCode == http.StatusNotFound && (strings.Contains(b, "<a href") || strings.Contains(b, "app.js")) {
			t.Errorf("%s: body looks like a listing or an asset: %q", p, b)
		}
	}
	// The handler itself, without the mux cleaning paths.
	for _, p := range []string{"/missing.css", "/assets", "/assets/index.html", "/../playground.go", "/playground.go"} {
		resp := get(t, Handler(), http.MethodGet, p, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("handler %s: status %d, want 404", p, resp.StatusCode)
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("handler %s: a 404 needs the CSP too", p)
		}
	}
}

func TestMethodsAndRevalidation(t *testing.T) {
	h := mounted()
	resp := get(t, h, http.MethodPost, "/playground/", nil)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	head := get(t, h, http.MethodHead, "/playground/app.js", nil)
	if head.StatusCode != http.StatusOK || body(t, head) != "" || head.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("HEAD: %d %q", head.StatusCode, head.Header.Get("Content-Type"))
	}
	etag := head.Header.Get("ETag")
	again := get(t, h, http.MethodGet, "/playground/app.js", http.Header{"If-None-Match": {etag}})
	if again.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation with the ETag: %d, want 304", again.StatusCode)
	}
}

// TestPageIsSelfContained checks the rules the page is written to: nothing from another origin,
// no inline script or style (the CSP would block them), API calls by absolute path, and memory
// text never written as HTML.
func TestPageIsSelfContained(t *testing.T) {
	files, err := load()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"index.html", "app.js", "style.css"} {
		if _, ok := files[name]; !ok {
			t.Fatalf("%s is not embedded", name)
		}
	}
	for name, a := range files {
		s := string(a.content)
		if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/`).FindString(s); m != "" && !strings.Contains(m, "www.w3.org") {
			t.Errorf("%s refers to another origin: %q", name, m)
		}
		if strings.Contains(s, "@import") || strings.Contains(s, "url(") {
			t.Errorf("%s loads more CSS or fonts", name)
		}
	}
	html := string(files["index.html"].content)
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(html) || strings.Contains(html, "<style") ||
		regexp.MustCompile(`\sstyle=|\son[a-z]+=`).MatchString(html) {
		t.Error("index.html has inline script, style or event handlers, which the CSP blocks")
	}
	js := string(files["app.js"].content)
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
	for _, route := range []string{`"/api/whoami"`, `"/product/get_memory"`, `"/product/search"`, `"/product/delete_memory"`} {
		if !strings.Contains(js, route) {
			t.Errorf("app.js does not call %s by its absolute path", route)
		}
	}
	for _, id := range []string{"api-key", "user-id", "status", "memory-rows", "page-info", "page-next", "page-prev",
		"page-size", "kind-text", "kind-pref", "total-facts", "total-prefs", "search-query", "search-dedup",
		"search-submit", "back-to-list", "delete-selected", "delete-expired", "confirm-dialog", "confirm-ok", "confirm-cancel"} {
		if !strings.Contains(html, `data-testid="`+id+`"`) {
			t.Errorf("index.html has no data-testid %q", id)
		}
	}
	// Every input and select is labelled.
	idRE := regexp.MustCompile(`\sid="([^"]+)"`)
	for _, tag := range regexp.MustCompile(`<(?:input|select)\s[^>]*>`).FindAllString(html, -1) {
		id := idRE.FindStringSubmatch(tag)
		switch {
		case strings.Contains(tag, "aria-label="):
		case id != nil && strings.Contains(html, `for="`+id[1]+`"`):
		case regexp.MustCompile(`<label>\s*` + regexp.QuoteMeta(tag)).MatchString(html):
		default:
			t.Errorf("no label for %s", tag)
		}
	}
}
