package embedded

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/lexical"
)

// BM25 parameters (the usual ones).
const (
	bm25K1 = 1.2
	bm25B  = 0.75
	// rrfK is the reciprocal-rank-fusion constant: a result at rank r adds 1/(rrfK+r).
	rrfK = 60
)

// term is one lexical feature of a memory with its weighted frequency.
type term struct {
	hash uint64
	tf   float32
}

// terms returns a text's lexical terms (the features the built-in embedder hashes, weighted the
// same way: stopwords count for little).
func terms(text string) []term {
	fs := lexical.Features(text)
	out := make([]term, len(fs))
	for i, f := range fs {
		out[i] = term{hash: f.Hash(), tf: float32(float64(f.Count) * f.Weight)}
	}
	return out
}

// lexIndex is one partition's inverted index. Removed entries stay in the postings, marked, until
// they make up half of them; then the postings are rebuilt from the live entries. Removing is then
// O(1) rather than a walk of every posting list the memory's words are in.
type lexIndex struct {
	postings map[uint64][]posting
	df       map[uint64]int // live entries per term
	totalLen float64        // sum of the live entries' lengths, for the average
	live     int
	dead     int
}

// posting is an entry holding a term, with the term's frequency in it.
type posting struct {
	e  *entry
	tf float32
}

func (l *lexIndex) add(e *entry) {
	if l.postings == nil {
		l.postings = make(map[uint64][]posting)
		l.df = make(map[uint64]int)
	}
	for _, t := range e.terms {
		l.postings[t.hash] = append(l.postings[t.hash], posting{e: e, tf: t.tf})
		l.df[t.hash]++
	}
	l.totalLen += float64(e.length)
	l.live++
}

func (l *lexIndex) remove(e *entry) {
	e.removed = true
	for _, t := range e.terms {
		if l.df[t.hash]--; l.df[t.hash] == 0 {
			delete(l.df, t.hash)
		}
	}
	l.totalLen -= float64(e.length)
	l.live--
	l.dead++
	if l.dead > l.live+64 {
		l.compact()
	}
}

func (l *lexIndex) compact() {
	for h, list := range l.postings {
		kept := list[:0]
		for _, ps := range list {
			if !ps.e.removed {
				kept = append(kept, ps)
			}
		}
		if len(kept) == 0 {
			delete(l.postings, h)
		} else {
			l.postings[h] = kept
		}
	}
	l.dead = 0
}

// tfOf returns e's frequency of the term (terms are sorted by hash).
func (e *entry) tfOf(h uint64) float32 {
	i := sort.Search(len(e.terms), func(i int) bool { return e.terms[i].hash >= h })
	if i < len(e.terms) && e.terms[i].hash == h {
		return e.terms[i].tf
	}
	return 0
}

// scoreBuf holds a search's per-row scores. A search at 100k memories needs 0.4–0.8 MB of them;
// allocating that per search was a quarter of its time in the garbage collector.
type scoreBuf struct {
	f32     []float32
	f64     []float64
	touched []*entry
}

// bm25Each scores the entries of parts that pass f against the query terms and calls yield for
// each entry with a score. Scores add up in an array by row, part by part: common words match
// tens of thousands of entries, and a map of them cost a fifth of a search at 100k memories.
func bm25Each(buf *scoreBuf, parts []*part, f memstore.Filter, query []term, yield func(e *entry, score float64)) {
	n, total := 0, 0.0
	for _, p := range parts {
		n += p.lex.live
		total += p.lex.totalLen
	}
	if n == 0 || len(query) == 0 {
		return
	}
	avg := total / float64(n)
	idf := make([]float64, len(query))
	for i, q := range query {
		df := 0 // live entries only: removed ones wait in the postings until compaction
		for _, p := range parts {
			df += p.lex.df[q.hash]
		}
		if df > 0 {
			idf[i] = math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
		}
	}
	scores, touched := buf.f64, buf.touched
	defer func() {
		clear(touched) // a pooled buffer must not keep removed entries alive
		buf.f64, buf.touched = scores[:0], touched[:0]
	}()
	for _, p := range parts {
		scores = slices.Grow(scores[:0], len(p.rows))[:len(p.rows)]
		clear(scores)
		clear(touched)
		touched = touched[:0]
		all := p.matchesAll(f)
		for i, q := range query {
			if idf[i] == 0 {
				continue
			}
			for _, ps := range p.lex.postings[q.hash] {
				e := ps.e
				if e.removed || !all && !matches(e, f) {
					continue
				}
				tf := float64(ps.tf)
				norm := tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(e.length)/avg))
				if scores[e.row] == 0 {
					touched = append(touched, e)
				}
				scores[e.row] += idf[i] * norm * float64(q.tf)
			}
		}
		for _, e := range touched {
			yield(e, scores[e.row])
		}
	}
}

// Attr implements memstore.Attrs, so filters can run on the index without loading records. Text
// fields are not kept in memory; filters on them are applied to loaded records instead.
func (e *entry) Attr(field string) any {
	switch field {
	case "id":
		return uuid.UUID(e.id).String()
	case "cube_id":
		return e.part.key.cube
	case "conversation_id":
		return e.conv
	case "kind":
		return string(e.part.key.kind)
	case "memory_type":
		return e.memoryType
	case "preference_type":
		return e.preferenceType
	case "status":
		return string(e.status)
	case "polarity":
		return e.polarity
	case "key":
		return e.key
	case "topic":
		return e.topic
	case "tags":
		return e.tags
	case "created_at":
		return e.created.time()
	case "updated_at":
		return e.updated.time()
	case "expires_at":
		if !e.hasExpiry {
			return time.Time{}
		}
		return e.expires.time()
	case "confidence":
		return e.confidence
	}
	if len(field) > 5 && field[:5] == "info." {
		return e.info[field[5:]]
	}
	return nil
}
