package memstore

import (
	"math"
	"sort"
)

// Dedup strategies for search results (MemOS search `dedup`).
const (
	DedupExact = ""    // default: identical texts collapse to the most relevant one
	DedupNo    = "no"  // keep everything, even exact duplicates
	DedupSim   = "sim" // semantic: drop results too similar to a more relevant one
	DedupMMR   = "mmr" // maximal marginal relevance over facts and preferences together
)

// Thresholds of the dedup algorithms, as in MemOS (search_handler.py).
const (
	simDedupThreshold   = 0.92 // sim: keep a result iff its cosine to every kept one is ≤ this
	mmrLambda           = 0.8  // mmr: weight of relevance against diversity
	mmrPenaltyThreshold = 0.9  // mmr: similarity above which diversity is penalised exponentially
	mmrCharThreshold    = 0.92 // mmr: char-level similarity that, with cosine > 0.9, marks a repeat
)

// ranked is a search candidate with the relevance the dedup algorithms rank by.
type ranked struct {
	hit       SearchHit
	relevance float64
	pref      bool
}

// dedupExactText keeps, for each normalised text, only the most relevant candidate. Candidates must
// be sorted by relevance.
func dedupExactText(cands []ranked) []ranked {
	seen := make(map[string]bool, len(cands))
	out := cands[:0:0]
	for _, c := range cands {
		t := normalizeText(c.hit.Text())
		if seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, c)
	}
	return out
}

// dedupSimilar is MemOS's "sim": walk candidates by relevance and accept one iff its cosine to every
// accepted candidate is ≤ 0.92, until limit are accepted. More relevant candidates win; nothing is
// back-filled, so fewer than limit may come back.
func dedupSimilar(cands []ranked, limit int) []ranked {
	var out []ranked
	for _, c := range cands {
		if len(out) == limit {
			break
		}
		ok := true
		for _, k := range out {
			if Cosine(c.hit.Embedding, k.hit.Embedding) > simDedupThreshold {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}

// dedupMMR is MemOS's "mmr" over facts and preferences jointly, each with its own cap. Candidates
// must be sorted by relevance. The selected candidates of each kind come back sorted by relevance.
func dedupMMR(cands []ranked, factCap, prefCap int) (facts, prefs []ranked) {
	caps := map[bool]int{false: factCap, true: prefCap}
	count := map[bool]int{}
	var selected []ranked
	used := make([]bool, len(cands))
	texts := make(map[string]bool)

	full := func(c ranked) bool { return count[c.pref] >= caps[c.pref] }
	take := func(i int) {
		used[i] = true
		selected = append(selected, cands[i])
		count[cands[i].pref]++
		texts[normalizeText(cands[i].hit.Text())] = true
	}

	// Prefill the most relevant few, as MemOS does, so the best results are never traded for diversity.
	prefill := min(2, factCap, prefCap)
	if prefCap == 0 {
		prefill = min(2, factCap)
	}
	for i, c := range cands {
		if len(selected) >= prefill {
			break
		}
		if !full(c) && !texts[normalizeText(c.hit.Text())] {
			take(i)
		}
	}

	for count[false] < factCap || count[true] < prefCap {
		best, bestScore := -1, math.Inf(-1)
		for i, c := range cands {
			if used[i] || full(c) {
				continue
			}
			if texts[normalizeText(c.hit.Text())] {
				used[i] = true
				continue
			}
			maxSim, nearest := 0.0, -1
			for j, s := range selected {
				if sim := Cosine(c.hit.Embedding, s.hit.Embedding); sim > maxSim || nearest < 0 {
					maxSim, nearest = sim, j
				}
			}
			if nearest >= 0 && maxSim > mmrPenaltyThreshold &&
				charSimilarity(c.hit.Text(), selected[nearest].hit.Text()) >= mmrCharThreshold {
				used[i] = true // a repeat of something already selected
				continue
			}
			diversity := maxSim
			if maxSim > mmrPenaltyThreshold {
				diversity = maxSim * math.Exp(10*(maxSim-mmrPenaltyThreshold))
			}
			score := mmrLambda*c.relevance - (1-mmrLambda)*diversity
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		if best < 0 {
			break
		}
		take(best)
	}
	for _, s := range selected {
		if s.pref {
			prefs = append(prefs, s)
		} else {
			facts = append(facts, s)
		}
	}
	byRelevance := func(list []ranked) {
		sort.SliceStable(list, func(i, j int) bool { return list[i].relevance > list[j].relevance })
	}
	byRelevance(facts)
	byRelevance(prefs)
	return facts, prefs
}

// charSimilarity is MemOS's character-level similarity: 0.40·Dice of the character sets +
// 0.35·a TF-IDF-like cosine of character counts (idf 1.0 for characters in both texts, 1.5 for the
// others) + 0.25·Jaccard of the character bigrams.
func charSimilarity(a, b string) float64 {
	ra, rb := []rune(normalizeText(a)), []rune(normalizeText(b))
	if len(ra) == 0 || len(rb) == 0 {
		return 0
	}
	ca, cb := runeCounts(ra), runeCounts(rb)
	inter := 0
	for r := range ca {
		if cb[r] > 0 {
			inter++
		}
	}
	dice := 2 * float64(inter) / float64(len(ca)+len(cb))

	idf := func(r rune) float64 {
		if ca[r] > 0 && cb[r] > 0 {
			return 1.0
		}
		return 1.5
	}
	var dot, na, nb float64
	for r, n := range ca {
		w := float64(n) * idf(r)
		na += w * w
		if m := cb[r]; m > 0 {
			dot += w * float64(m) * idf(r)
		}
	}
	for r, n := range cb {
		w := float64(n) * idf(r)
		nb += w * w
	}
	tfidf := dot / math.Sqrt(na*nb)

	ba, bb := bigrams(ra), bigrams(rb)
	binter := 0
	for g := range ba {
		if bb[g] {
			binter++
		}
	}
	jaccard := 0.0
	if union := len(ba) + len(bb) - binter; union > 0 {
		jaccard = float64(binter) / float64(union)
	} else if string(ra) == string(rb) {
		jaccard = 1
	}
	return 0.40*dice + 0.35*tfidf + 0.25*jaccard
}

func runeCounts(rs []rune) map[rune]int {
	m := make(map[rune]int, len(rs))
	for _, r := range rs {
		m[r]++
	}
	return m
}

func bigrams(rs []rune) map[[2]rune]bool {
	m := make(map[[2]rune]bool, len(rs))
	for i := 0; i+1 < len(rs); i++ {
		m[[2]rune{rs[i], rs[i+1]}] = true
	}
	return m
}
