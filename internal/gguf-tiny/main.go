// Command gguf-tiny writes a tiny, valid GGUF model with fixed-seed random
// weights, for testing against a real Ollama server without downloading a
// model. Two architectures:
//
//	-arch llama  decoder-only chat/generation model (SentencePiece-style
//	             vocab of printable ASCII + byte fallback). Ollama reports it
//	             with the "completion" capability; /api/embed also works.
//	-arch bert   encoder embedding model (WordPiece vocab of ASCII chars,
//	             mean pooling). Ollama reports it with "embedding" capability.
//
// Output is deterministic for a given set of flags (same bytes every run).
// Weights are random, so generated text is garbage, but it is real inference.
//
//	go run ./internal/gguf-tiny -arch llama -out /tmp/tiny-llama.gguf
//	go run ./internal/gguf-tiny -arch bert  -out /tmp/tiny-bert.gguf
//
// memos-mcp uses it in CI (.ci/run) to give its integration tests real Ollama models without a
// download. Copied from the project's shared tools (shared/tools/gguf-tiny).
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
)

// GGUF value types.
const (
	tUint32  = 4
	tInt32   = 5
	tFloat32 = 6
	tBool    = 7
	tString  = 8
	tArray   = 9
)

// ggml tensor types.
const (
	ggmlF32 = 0
	ggmlF16 = 1
)

const alignment = 32

type kv struct {
	key string
	val any // uint32, int32, float32, bool, string, []string, []float32, []int32
}

type tensor struct {
	name string
	dims []uint64 // ggml order: dims[0] is the contiguous (input) dimension
	data []float32
	f16  bool
}

func (t *tensor) nbytes() uint64 {
	if t.f16 {
		return uint64(len(t.data)) * 2
	}
	return uint64(len(t.data)) * 4
}

type writer struct {
	w   *bufio.Writer
	n   uint64
	err error
}

func (w *writer) put(v any) {
	if w.err != nil {
		return
	}
	w.err = binary.Write(w.w, binary.LittleEndian, v)
	w.n += uint64(binary.Size(v))
}

func (w *writer) str(s string) {
	w.put(uint64(len(s)))
	if w.err == nil {
		_, w.err = w.w.WriteString(s)
		w.n += uint64(len(s))
	}
}

func (w *writer) pad() {
	for w.n%alignment != 0 {
		w.put(uint8(0))
	}
}

func (w *writer) value(v any) {
	switch x := v.(type) {
	case uint32:
		w.put(uint32(tUint32))
		w.put(x)
	case int32:
		w.put(uint32(tInt32))
		w.put(x)
	case float32:
		w.put(uint32(tFloat32))
		w.put(x)
	case bool:
		w.put(uint32(tBool))
		if x {
			w.put(uint8(1))
		} else {
			w.put(uint8(0))
		}
	case string:
		w.put(uint32(tString))
		w.str(x)
	case []string:
		w.put(uint32(tArray))
		w.put(uint32(tString))
		w.put(uint64(len(x)))
		for _, s := range x {
			w.str(s)
		}
	case []float32:
		w.put(uint32(tArray))
		w.put(uint32(tFloat32))
		w.put(uint64(len(x)))
		w.put(x)
	case []int32:
		w.put(uint32(tArray))
		w.put(uint32(tInt32))
		w.put(uint64(len(x)))
		w.put(x)
	default:
		w.err = fmt.Errorf("unsupported kv type %T", v)
	}
}

func writeGGUF(out io.Writer, kvs []kv, tensors []*tensor) error {
	w := &writer{w: bufio.NewWriter(out)}
	w.put([]byte("GGUF"))
	w.put(uint32(3))
	w.put(uint64(len(tensors)))
	w.put(uint64(len(kvs)))
	for _, e := range kvs {
		w.str(e.key)
		w.value(e.val)
	}
	var off uint64
	for _, t := range tensors {
		w.str(t.name)
		w.put(uint32(len(t.dims)))
		w.put(t.dims)
		if t.f16 {
			w.put(uint32(ggmlF16))
		} else {
			w.put(uint32(ggmlF32))
		}
		w.put(off)
		off += t.nbytes()
		off = (off + alignment - 1) / alignment * alignment
	}
	w.pad()
	for _, t := range tensors {
		if t.f16 {
			h := make([]uint16, len(t.data))
			for i, f := range t.data {
				h[i] = f32ToF16(f)
			}
			w.put(h)
		} else {
			w.put(t.data)
		}
		w.pad()
	}
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

// f32ToF16 converts with round-to-nearest-even; inputs here are small and finite.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - exp)
		half := uint32(1) << (shift - 1)
		r := mant >> shift
		if mant&(half<<1-1) > half || (mant&(half<<1-1) == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	case exp >= 31:
		return sign | 0x7c00
	default:
		r := uint32(exp)<<10 | mant>>13
		rem := mant & 0x1fff
		if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
}

type gen struct {
	rng *rand.Rand
	f16 bool
}

// mat returns a weight of PyTorch shape [out, in] as ggml dims [in, out].
func (g *gen) mat(name string, in, out int, scale float64) *tensor {
	d := make([]float32, in*out)
	for i := range d {
		d[i] = float32(g.rng.NormFloat64() * scale)
	}
	return &tensor{name: name, dims: []uint64{uint64(in), uint64(out)}, data: d, f16: g.f16}
}

// f32 forces a tensor to stay F32 even with -f16.
func f32(t *tensor) *tensor { t.f16 = false; return t }

func vec(name string, n int, v float32) *tensor {
	d := make([]float32, n)
	for i := range d {
		d[i] = v
	}
	return &tensor{name: name, dims: []uint64{uint64(n)}, data: d} // norms/biases stay F32
}

func main() {
	arch := flag.String("arch", "llama", "llama (chat/generate) or bert (embeddings)")
	out := flag.String("out", "tiny.gguf", "output file")
	seed := flag.Int64("seed", 1, "weight RNG seed")
	nEmbd := flag.Int("embd", 64, "hidden size (= embedding dimension for bert)")
	nLayer := flag.Int("layers", 2, "transformer blocks")
	nHead := flag.Int("heads", 4, "attention heads")
	nFF := flag.Int("ff", 128, "feed-forward size")
	nCtx := flag.Int("ctx", 2048, "training context length (bert: number of position embeddings)")
	f16 := flag.Bool("f16", false, "store matrices as F16 instead of F32")
	flag.Parse()

	g := &gen{rng: rand.New(rand.NewSource(*seed)), f16: *f16}
	var kvs []kv
	var ts []*tensor
	switch *arch {
	case "llama":
		kvs, ts = llama(g, *nEmbd, *nLayer, *nHead, *nFF, *nCtx)
	case "bert":
		kvs, ts = bert(g, *nEmbd, *nLayer, *nHead, *nFF, *nCtx)
	default:
		fmt.Fprintln(os.Stderr, "unknown -arch", *arch)
		os.Exit(2)
	}
	fileType := uint32(0) // ALL_F32
	if *f16 {
		fileType = 1 // MOSTLY_F16
	}
	kvs = append(kvs, kv{"general.file_type", fileType}, kv{"general.alignment", uint32(alignment)})

	f, err := os.Create(*out)
	if err == nil {
		err = writeGGUF(f, kvs, ts)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gguf-tiny:", err)
		os.Exit(1)
	}
	st, _ := os.Stat(*out)
	fmt.Printf("wrote %s (%s, %d tensors, %d bytes)\n", *out, *arch, len(ts), st.Size())
}

// llama builds a SentencePiece ("llama" tokenizer) decoder model:
// <unk>, <s>, </s>, 256 byte-fallback tokens, "▁" and printable ASCII 0x21-0x7e.
func llama(g *gen, n, layers, heads, ff, ctx int) ([]kv, []*tensor) {
	var toks []string
	var types []int32
	toks = append(toks, "<unk>", "<s>", "</s>")
	types = append(types, 2, 3, 3) // UNKNOWN, CONTROL, CONTROL
	for b := 0; b < 256; b++ {
		toks = append(toks, fmt.Sprintf("<0x%02X>", b))
		types = append(types, 6) // BYTE
	}
	firstText := len(toks)
	toks = append(toks, "\u2581")
	types = append(types, 1)
	for c := 0x21; c <= 0x7e; c++ {
		toks = append(toks, string(rune(c)))
		types = append(types, 1) // NORMAL
	}
	scores := make([]float32, len(toks))
	for i := range scores {
		scores[i] = -float32(i)
	}
	nv := len(toks)
	headDim := n / heads

	kvs := []kv{
		{"general.architecture", "llama"},
		{"general.name", "tiny-llama"},
		{"llama.context_length", uint32(ctx)},
		{"llama.embedding_length", uint32(n)},
		{"llama.block_count", uint32(layers)},
		{"llama.feed_forward_length", uint32(ff)},
		{"llama.attention.head_count", uint32(heads)},
		{"llama.attention.head_count_kv", uint32(heads)},
		{"llama.rope.dimension_count", uint32(headDim)},
		{"llama.rope.freq_base", float32(10000)},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
		{"llama.vocab_size", uint32(nv)},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", toks},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.unknown_token_id", uint32(0)},
		{"tokenizer.ggml.bos_token_id", uint32(1)},
		{"tokenizer.ggml.eos_token_id", uint32(2)},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
	}

	s := 1 / math.Sqrt(float64(n))
	ts := []*tensor{g.mat("token_embd.weight", n, nv, 1)}
	for i := 0; i < layers; i++ {
		p := fmt.Sprintf("blk.%d.", i)
		ts = append(ts,
			vec(p+"attn_norm.weight", n, 1),
			g.mat(p+"attn_q.weight", n, n, s),
			g.mat(p+"attn_k.weight", n, n, s),
			g.mat(p+"attn_v.weight", n, n, s),
			g.mat(p+"attn_output.weight", n, n, s),
			vec(p+"ffn_norm.weight", n, 1),
			g.mat(p+"ffn_gate.weight", n, ff, s),
			g.mat(p+"ffn_up.weight", n, ff, s),
			g.mat(p+"ffn_down.weight", ff, n, 1/math.Sqrt(float64(ff))),
		)
	}
	ts = append(ts, vec("output_norm.weight", n, 1))
	// Output head: rows for control and byte tokens are zero, so greedy decoding
	// almost always picks printable ASCII (keeps responses valid UTF-8).
	o := g.mat("output.weight", n, nv, 1)
	for tok := 0; tok < firstText; tok++ {
		for j := 0; j < n; j++ {
			o.data[tok*n+j] = 0
		}
	}
	ts = append(ts, o)
	return kvs, ts
}

// bert builds a WordPiece ("bert" tokenizer) encoder with mean pooling.
// Vocab: [PAD] [UNK] [CLS] [SEP] [MASK], then for each printable ASCII char
// (lowercase; input is lowercased) a word-initial "▁c" and a continuation "c".
func bert(g *gen, n, layers, heads, ff, ctx int) ([]kv, []*tensor) {
	toks := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	types := []int32{3, 2, 3, 3, 3}
	var chars []string
	for c := 0x21; c <= 0x7e; c++ {
		if c >= 'A' && c <= 'Z' {
			continue
		}
		chars = append(chars, string(rune(c)))
	}
	for _, c := range chars {
		toks = append(toks, "\u2581"+c)
		types = append(types, 1)
	}
	for _, c := range chars {
		toks = append(toks, c)
		types = append(types, 1)
	}
	scores := make([]float32, len(toks))
	nv := len(toks)

	kvs := []kv{
		{"general.architecture", "bert"},
		{"general.name", "tiny-bert"},
		{"bert.context_length", uint32(ctx)},
		{"bert.embedding_length", uint32(n)},
		{"bert.block_count", uint32(layers)},
		{"bert.feed_forward_length", uint32(ff)},
		{"bert.attention.head_count", uint32(heads)},
		{"bert.attention.layer_norm_epsilon", float32(1e-12)},
		{"bert.attention.causal", false},
		{"bert.pooling_type", uint32(1)}, // mean
		{"tokenizer.ggml.model", "bert"},
		{"tokenizer.ggml.tokens", toks},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.token_type_count", uint32(2)},
		{"tokenizer.ggml.padding_token_id", uint32(0)},
		{"tokenizer.ggml.unknown_token_id", uint32(1)},
		{"tokenizer.ggml.cls_token_id", uint32(2)},
		{"tokenizer.ggml.bos_token_id", uint32(2)},
		{"tokenizer.ggml.seperator_token_id", uint32(3)},
		{"tokenizer.ggml.eos_token_id", uint32(3)},
		{"tokenizer.ggml.mask_token_id", uint32(4)},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", true},
	}

	s := 1 / math.Sqrt(float64(n))
	ts := []*tensor{
		g.mat("token_embd.weight", n, nv, 1),
		f32(g.mat("token_types.weight", n, 2, 0.1)),     // added to F32 activations:
		f32(g.mat("position_embd.weight", n, ctx, 0.1)), // ggml CPU add needs F32 here
		vec("token_embd_norm.weight", n, 1),
		vec("token_embd_norm.bias", n, 0),
	}
	for i := 0; i < layers; i++ {
		p := fmt.Sprintf("blk.%d.", i)
		ts = append(ts,
			g.mat(p+"attn_q.weight", n, n, s), vec(p+"attn_q.bias", n, 0),
			g.mat(p+"attn_k.weight", n, n, s), vec(p+"attn_k.bias", n, 0),
			g.mat(p+"attn_v.weight", n, n, s), vec(p+"attn_v.bias", n, 0),
			g.mat(p+"attn_output.weight", n, n, s), vec(p+"attn_output.bias", n, 0),
			vec(p+"attn_output_norm.weight", n, 1), vec(p+"attn_output_norm.bias", n, 0),
			g.mat(p+"ffn_up.weight", n, ff, s), vec(p+"ffn_up.bias", ff, 0),
			g.mat(p+"ffn_down.weight", ff, n, 1/math.Sqrt(float64(ff))), vec(p+"ffn_down.bias", n, 0),
			vec(p+"layer_output_norm.weight", n, 1), vec(p+"layer_output_norm.bias", n, 0),
		)
	}
	return kvs, ts
}
