package builtin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func cosine(t *testing.T, a, b []float32) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("cosine of vectors of lengths %d and %d", len(a), len(b))
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func l2norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// assertBitIdentical fails unless a and b hold exactly the same float32 bits.
func assertBitIdentical(t *testing.T, what string, a, b []float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: lengths %d and %d differ", what, len(a), len(b))
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s: dimension %d differs: %v (%#08x) vs %v (%#08x)",
				what, i, a[i], math.Float32bits(a[i]), b[i], math.Float32bits(b[i]))
		}
	}
}

var embedderTexts = []string{
	"I like apples",
	"The user really likes apples but does not like bananas.",
	"the cat sat on the mat, the cat sat on the mat",
	"用户喜欢吃苹果",
	"我喜欢吃苹果,不喜欢香蕉。",
	"user: 我最喜欢的水果是山竹 (mangosteen)",
	"Node.js 3.5 don't ＡＰＰＬＥ",
	"すしが好きです 김치",
}

func TestEmbedderIdentity(t *testing.T) {
	id := Embedder{}.Identity()
	if id.Name != "builtin-lexical-v1" {
		t.Errorf("Identity().Name = %q, want %q", id.Name, "builtin-lexical-v1")
	}
	if id.Dim != 512 {
		t.Errorf("Identity().Dim = %d, want 512", id.Dim)
	}
	for _, text := range []string{"", "apple", "苹果"} {
		if got := len(Embedder{}.Vector(text)); got != id.Dim {
			t.Errorf("len(Vector(%q)) = %d, want Identity().Dim = %d", text, got, id.Dim)
		}
	}
}

func TestEmbedderDeterministic(t *testing.T) {
	var e Embedder
	batch, err := e.Embed(context.Background(), embedderTexts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if len(batch) != len(embedderTexts) {
		t.Fatalf("Embed returned %d vectors for %d texts", len(batch), len(embedderTexts))
	}
	for i, text := range embedderTexts {
		t.Run(text, func(t *testing.T) {
			first := e.Vector(text)
			// Repeated calls: a map-order dependency would show up as differing low bits.
			for n := range 20 {
				assertBitIdentical(t, fmt.Sprintf("call %d", n), first, e.Vector(text))
			}
			assertBitIdentical(t, "fresh Embedder value", first, Embedder{}.Vector(text))
			assertBitIdentical(t, "Embed in a batch vs Vector alone", first, batch[i])
			alone, err := Embedder{}.Embed(context.Background(), []string{text})
			if err != nil {
				t.Fatalf("Embed alone: %v", err)
			}
			assertBitIdentical(t, "Embed alone vs Vector", first, alone[0])
		})
	}
}

func TestEmbedderUnitLength(t *testing.T) {
	texts := append([]string{"a", "的", "x y z", "don't", "12345"}, embedderTexts...)
	for _, text := range texts {
		if n := l2norm(Embedder{}.Vector(text)); math.Abs(n-1) > 1e-5 {
			t.Errorf("‖Vector(%q)‖ = %v, want 1 ± 1e-5", text, n)
		}
	}
}

func TestEmbedderZeroVector(t *testing.T) {
	for _, text := range []string{"", " ", "\n\t", "!!!", "...---???", "。，？！", "'", "\xff\xfe"} {
		v := Embedder{}.Vector(text)
		if len(v) != Dim {
			t.Fatalf("len(Vector(%q)) = %d, want %d", text, len(v), Dim)
		}
		for i, x := range v {
			if x != 0 {
				t.Errorf("Vector(%q)[%d] = %v, want the zero vector", text, i, x)
				break
			}
		}
	}
}

func TestEmbedderSimilarity(t *testing.T) {
	var e Embedder
	if c := cosine(t, e.Vector("I like apples"), e.Vector("I like apples!")); math.Abs(c-1) > 1e-6 {
		t.Errorf("cosine(%q, %q) = %v, want 1 (punctuation carries no features)", "I like apples", "I like apples!", c)
	}
	cases := []struct {
		anchor, near, far string
	}{
		{"the cat sat on the mat", "the cat sat on a mat", "quantum chromodynamics"},
		{"我喜欢吃什么?", "user: 我喜欢吃苹果", "user: 今天天气很好"},
		{"I like apples", "The user likes apples", "The user hates rainy days"},
		{"用户喜欢山竹", "我喜欢的是山竹", "我讨厌下雨天"},
	}
	for _, tc := range cases {
		near := cosine(t, e.Vector(tc.anchor), e.Vector(tc.near))
		far := cosine(t, e.Vector(tc.anchor), e.Vector(tc.far))
		if !(near > far) {
			t.Errorf("cosine(%q, %q) = %v is not above cosine(%q, %q) = %v", tc.anchor, tc.near, near, tc.anchor, tc.far, far)
		}
	}
	if c := cosine(t, e.Vector("the cat sat on the mat"), e.Vector("quantum chromodynamics")); c != 0 {
		t.Errorf("texts sharing no feature have cosine %v, want 0", c)
	}
}

func TestEmbedderFolding(t *testing.T) {
	pairs := [][2]string{
		{"ＡＰＰＬＥ", "apple"},
		{"Apple", "apple"},
		{"I LIKE APPLES", "i like apples"},
		{"ｉ ｌｉｋｅ ｔｅａ", "I like tea"},
		{"don't", "dont"},
		{"苹果！", "苹果!"},
	}
	for _, p := range pairs {
		assertBitIdentical(t, fmt.Sprintf("Vector(%q) vs Vector(%q)", p[0], p[1]), Embedder{}.Vector(p[0]), Embedder{}.Vector(p[1]))
	}
}

func TestEmbedCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := Embedder{}.Embed(ctx, []string{"apple", "banana"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Embed with a cancelled context: err = %v, want context.Canceled", err)
	}
	if got != nil {
		t.Errorf("Embed with a cancelled context returned %d vectors, want nil", len(got))
	}

	ctx, cancel = context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	if _, err := (Embedder{}).Embed(ctx, []string{"apple"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Embed past its deadline: err = %v, want context.DeadlineExceeded", err)
	}
}

// ---- golden ----

const goldenPath = "testdata/embedder.golden"

// goldenText renders, for each text, the non-zero dimensions of its vector and their values
// rounded to 6 decimals. Rounding keeps the file stable across architectures (e.g. fused
// multiply-add on arm64) while any change to features, hashing or weights still shows.
func goldenText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s golden vectors (dim %d): non-zero dimensions as \"index value\", values rounded to 6 decimals.\n", EmbedderName, Dim)
	fmt.Fprintf(&b, "# Regenerate with: go test ./memstore/builtin -run Golden -update (only when EmbedderName is bumped).\n")
	for _, text := range embedderTexts {
		fmt.Fprintf(&b, "\ntext %s\n", strconv.Quote(text))
		for i, x := range (Embedder{}).Vector(text) {
			if x != 0 {
				fmt.Fprintf(&b, "%d %s\n", i, strconv.FormatFloat(float64(x), 'f', 6, 32))
			}
		}
	}
	return b.String()
}

func TestEmbedderGolden(t *testing.T) {
	got := goldenText()
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenPath)
		return
	}
	wantBytes, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("reading golden file (create it with -update): %v", err)
	}
	want := string(wantBytes)
	if got != want {
		t.Errorf("embeddings differ from %s; if the embedding scheme changed on purpose, bump EmbedderName "+
			"and rerun with -update.\n--- want (golden)\n+++ got\n%s", goldenPath, lineDiff(want, got))
	}
}

// lineDiff returns a minimal line diff of a and b (longest common subsequence), showing only
// changed lines, each under the "text" header it belongs to.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	header, shown := "", ""
	emit := func(prefix, line string) {
		if header != shown {
			fmt.Fprintf(&out, "  %s\n", header)
			shown = header
		}
		fmt.Fprintf(&out, "%s %s\n", prefix, line)
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			if strings.HasPrefix(x[i], "text ") {
				header = x[i]
			}
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			emit("-", x[i])
			i++
		default:
			emit("+", y[j])
			j++
		}
	}
	return out.String()
}

func TestLineDiff(t *testing.T) {
	a := "h\ntext \"a\"\n1 0.5\n2 0.5\ntext \"b\"\n3 1.0\n"
	b := "h\ntext \"a\"\n1 0.5\n2 0.6\ntext \"b\"\n3 1.0\n"
	want := "  text \"a\"\n- 2 0.5\n+ 2 0.6\n"
	if got := lineDiff(a, b); got != want {
		t.Errorf("lineDiff =\n%s\nwant\n%s", got, want)
	}
	if got := lineDiff(a, a); got != "" {
		t.Errorf("lineDiff of equal texts = %q, want empty", got)
	}
}
