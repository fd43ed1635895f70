package qdranttest

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/qdrant/go-client/qdrant"
)

// pred is a compiled filter.
type pred func(p *point) bool

func matchAll(*point) bool { return true }

// compileFilter validates f completely (so a bad filter fails even on an
// empty collection) and returns its predicate. Semantics [docs Filtering],
// [local] payload_filters.check_filter:
//   - must: all conditions match; must_not: none matches;
//   - should: at least one matches, and an EMPTY should list is no constraint;
//   - min_should: at least min_count of its conditions match (min_count >= 1).
func compileFilter(f *qdrant.Filter) (pred, error) {
	if f == nil {
		return matchAll, nil
	}
	must, err := compileConditions(f.GetMust())
	if err != nil {
		return nil, err
	}
	should, err := compileConditions(f.GetShould())
	if err != nil {
		return nil, err
	}
	mustNot, err := compileConditions(f.GetMustNot())
	if err != nil {
		return nil, err
	}
	var minShould []pred
	var minCount uint64 // 0: no min_should
	if ms := f.GetMinShould(); ms != nil {
		if ms.GetMinCount() < 1 {
			return nil, wrongInput("min_count value %d is invalid. Must be 1 or larger.", ms.GetMinCount())
		}
		if minShould, err = compileConditions(ms.GetConditions()); err != nil {
			return nil, err
		}
		minCount = ms.GetMinCount()
	}
	return func(p *point) bool {
		for _, c := range must {
			if !c(p) {
				return false
			}
		}
		for _, c := range mustNot {
			if c(p) {
				return false
			}
		}
		if len(should) > 0 && !slices.ContainsFunc(should, func(c pred) bool { return c(p) }) {
			return false
		}
		if minCount > 0 {
			var n uint64
			for _, c := range minShould {
				if c(p) {
					n++
				}
			}
			if n < minCount {
				return false
			}
		}
		return true
	}, nil
}

func compileConditions(cs []*qdrant.Condition) ([]pred, error) {
	out := make([]pred, 0, len(cs))
	for _, c := range cs {
		p, err := compileCondition(c)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func compileCondition(c *qdrant.Condition) (pred, error) {
	switch v := c.GetConditionOneOf().(type) {
	case *qdrant.Condition_Field:
		return compileField(v.Field)
	case *qdrant.Condition_Filter: // nested filter used as a condition
		return compileFilter(v.Filter)
	case *qdrant.Condition_HasId:
		ids, err := parseIDs(v.HasId.GetHasId())
		if err != nil {
			return nil, err
		}
		return func(p *point) bool { return slices.Contains(ids, p.id) }, nil
	case *qdrant.Condition_IsEmpty:
		path, err := parsePath(v.IsEmpty.GetKey())
		if err != nil {
			return nil, err
		}
		return func(p *point) bool { return isEmpty(p.payload, path) }, nil
	case *qdrant.Condition_IsNull:
		path, err := parsePath(v.IsNull.GetKey())
		if err != nil {
			return nil, err
		}
		return func(p *point) bool { return isNull(p.payload, path) }, nil
	case nil:
		return nil, invalidArg("Malformed Condition: no condition_one_of")
	}
	return nil, unmodelled("condition %T is not modelled", c.GetConditionOneOf())
}

// isEmpty: the key resolves to nothing, or only to null / empty arrays
// ([local] check_is_empty; [docs] "Is Empty").
func isEmpty(payload map[string]*qdrant.Value, path []step) bool {
	for _, v := range valuesAt(payload, path, false) {
		if l := v.GetListValue(); !isNullValue(v) && (l == nil || len(l.GetValues()) > 0) {
			return false
		}
	}
	return true
}

// isNull: some value is null, or an array holding a null, one level deep
// ([local] check_is_null, qdrant#10101). A missing key is NOT null.
func isNull(payload map[string]*qdrant.Value, path []step) bool {
	for _, v := range valuesAt(payload, path, false) {
		if isNullValue(v) {
			return true
		}
		if l := v.GetListValue(); l != nil && slices.ContainsFunc(l.GetValues(), isNullValue) {
			return true
		}
	}
	return false
}

// compileField compiles a FieldCondition. DOUBLE CHOICE: exactly one of
// match / range / datetime_range / values_count / is_empty / is_null must be
// set; Qdrant rejects none ("At least one field condition must be
// specified") and its behaviour with several is not modelled.
func compileField(fc *qdrant.FieldCondition) (pred, error) {
	path, err := parsePath(fc.GetKey())
	if err != nil {
		return nil, err
	}
	set := 0
	for _, b := range []bool{fc.Match != nil, fc.Range != nil, fc.DatetimeRange != nil, fc.ValuesCount != nil, fc.IsEmpty != nil, fc.IsNull != nil} {
		if b {
			set++
		}
	}
	switch {
	case set == 0:
		return nil, invalidArg("Validation error: At least one field condition must be specified (key %q)", fc.GetKey())
	case set > 1:
		return nil, unmodelled("a FieldCondition with several conditions (key %q) is not modelled", fc.GetKey())
	}
	// anyValue: the condition holds for at least one (flattened) value.
	anyValue := func(f func(v *qdrant.Value) bool) pred {
		return func(p *point) bool { return slices.ContainsFunc(valuesAt(p.payload, path, true), f) }
	}
	switch {
	case fc.Match != nil:
		m, err := compileMatch(fc.Match)
		if err != nil {
			return nil, err
		}
		return anyValue(m), nil
	case fc.Range != nil:
		r := fc.Range
		return anyValue(func(v *qdrant.Value) bool {
			// Range bounds are doubles; integer and double payloads both
			// compare as f64; bool and strings never match ([local] check_range).
			var x float64
			switch k := v.GetKind().(type) {
			case *qdrant.Value_IntegerValue:
				x = float64(k.IntegerValue)
			case *qdrant.Value_DoubleValue:
				x = k.DoubleValue
			default:
				return false
			}
			return (r.Lt == nil || x < r.GetLt()) && (r.Lte == nil || x <= r.GetLte()) &&
				(r.Gt == nil || x > r.GetGt()) && (r.Gte == nil || x >= r.GetGte())
		}), nil
	case fc.DatetimeRange != nil:
		r := fc.DatetimeRange
		bound := func(ts interface{ AsTime() time.Time }, present bool) time.Time {
			if !present {
				return time.Time{}
			}
			return ts.AsTime()
		}
		lt, lte := bound(r.GetLt(), r.Lt != nil), bound(r.GetLte(), r.Lte != nil)
		gt, gte := bound(r.GetGt(), r.Gt != nil), bound(r.GetGte(), r.Gte != nil)
		return anyValue(func(v *qdrant.Value) bool {
			// Only string payloads in one of Qdrant's datetime formats match.
			t, ok := parseDatetime(v.GetStringValue())
			if !ok {
				return false
			}
			return (r.Lt == nil || t.Before(lt)) && (r.Lte == nil || !t.After(lte)) &&
				(r.Gt == nil || t.After(gt)) && (r.Gte == nil || !t.Before(gte))
		}), nil
	case fc.ValuesCount != nil:
		vc := fc.ValuesCount
		// [local] check_values_count: count per resolved value (array ->
		// length, null -> 0, other -> 1; nothing resolved -> a single 0);
		// matches when one count satisfies every bound.
		return func(p *point) bool {
			vals := valuesAt(p.payload, path, false)
			counts := []uint64{0}
			if !slices.ContainsFunc(vals, func(v *qdrant.Value) bool { return !isNullValue(v) }) {
				vals = nil
			}
			if len(vals) > 0 {
				counts = counts[:0]
			}
			for _, v := range vals {
				switch {
				case isNullValue(v):
					counts = append(counts, 0)
				case v.GetListValue() != nil:
					counts = append(counts, uint64(len(v.GetListValue().GetValues())))
				default:
					counts = append(counts, 1)
				}
			}
			return slices.ContainsFunc(counts, func(n uint64) bool {
				return (vc.Lt == nil || n < vc.GetLt()) && (vc.Lte == nil || n <= vc.GetLte()) &&
					(vc.Gt == nil || n > vc.GetGt()) && (vc.Gte == nil || n >= vc.GetGte())
			})
		}, nil
	case fc.IsEmpty != nil:
		want := fc.GetIsEmpty()
		return func(p *point) bool { return isEmpty(p.payload, path) == want }, nil
	default: // fc.IsNull != nil
		want := fc.GetIsNull()
		return func(p *point) bool { return isNull(p.payload, path) == want }, nil
	}
}

// compileMatch returns the test for ONE value. Exact matches are typed, as in
// Qdrant: keyword matches strings, integer matches integers (never a double
// payload such as 1.0), boolean matches bools ([local] values_match).
func compileMatch(m *qdrant.Match) (func(v *qdrant.Value) bool, error) {
	str := func(v *qdrant.Value) (string, bool) {
		s, ok := v.GetKind().(*qdrant.Value_StringValue)
		if !ok {
			return "", false
		}
		return s.StringValue, true
	}
	integer := func(v *qdrant.Value) (int64, bool) {
		i, ok := v.GetKind().(*qdrant.Value_IntegerValue)
		if !ok {
			return 0, false
		}
		return i.IntegerValue, true
	}
	switch mv := m.GetMatchValue().(type) {
	case *qdrant.Match_Keyword:
		return func(v *qdrant.Value) bool { s, ok := str(v); return ok && s == mv.Keyword }, nil
	case *qdrant.Match_Integer:
		return func(v *qdrant.Value) bool { i, ok := integer(v); return ok && i == mv.Integer }, nil
	case *qdrant.Match_Boolean:
		return func(v *qdrant.Value) bool {
			b, ok := v.GetKind().(*qdrant.Value_BoolValue)
			return ok && b.BoolValue == mv.Boolean
		}, nil
	case *qdrant.Match_Keywords: // "any"
		list := mv.Keywords.GetStrings()
		return func(v *qdrant.Value) bool { s, ok := str(v); return ok && slices.Contains(list, s) }, nil
	case *qdrant.Match_Integers: // "any"
		list := mv.Integers.GetIntegers()
		return func(v *qdrant.Value) bool { i, ok := integer(v); return ok && slices.Contains(list, i) }, nil
	case *qdrant.Match_ExceptKeywords:
		// "except": a non-null value that is not one of the strings. Values of
		// other types (numbers, objects) qualify; null does not; a missing
		// field has no value and never matches ([local] check_match).
		list := mv.ExceptKeywords.GetStrings()
		return func(v *qdrant.Value) bool {
			s, ok := str(v)
			return !isNullValue(v) && !(ok && slices.Contains(list, s))
		}, nil
	case *qdrant.Match_ExceptIntegers:
		list := mv.ExceptIntegers.GetIntegers()
		return func(v *qdrant.Value) bool {
			i, ok := integer(v)
			return !isNullValue(v) && !(ok && slices.Contains(list, i))
		}, nil
	case *qdrant.Match_Text:
		// Full-text match: both sides are split by Qdrant's default "word"
		// tokenizer (maximal runs of Unicode letters/digits, lowercased) and
		// every query token must be a whole token of the value, in any order;
		// an empty query matches nothing. This is the server's behaviour for a
		// field without a text index (qdrant#10341, mirrored by [local]
		// check_match) and for a word/lowercase text index, the only kind the
		// double accepts. A run of CJK characters is ONE token (no CJK
		// segmentation), as with Qdrant's word tokenizer.
		query := tokens(mv.Text)
		return func(v *qdrant.Value) bool {
			s, ok := str(v)
			if !ok || len(query) == 0 {
				return false
			}
			doc := tokens(s)
			for _, q := range query {
				if !slices.Contains(doc, q) {
					return false
				}
			}
			return true
		}, nil
	case nil:
		return nil, invalidArg("Malformed Match condition: no match_value")
	}
	return nil, unmodelled("match %T is not modelled", m.GetMatchValue())
}

func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// datetimeLayouts are the formats Qdrant core accepts for datetime payloads
// ([local] datetime_utils.available_formats, from segment/src/types.rs); a
// value without a zone is UTC.
var datetimeLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

func parseDatetime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range datetimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
