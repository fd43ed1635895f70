package qdranttest_test

import (
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestFilters(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	createDense(t, c, "f", 2, qdrant.Distance_Dot)
	null := &qdrant.Value{Kind: &qdrant.Value_NullValue{}}
	p := func(id uint64, m map[string]any, extra map[string]*qdrant.Value) *qdrant.PointStruct {
		ps := pt(id, m, 1, 0)
		for k, v := range extra {
			ps.Payload[k] = v
		}
		return ps
	}
	upsert(t, c, "f",
		p(1, map[string]any{"user": "u1", "type": "fact", "n": 5, "f": 2.5, "ok": true, "tags": []any{"a", "b"},
			"info": map[string]any{"city": "Berlin"}, "text": "The quick brown fox", "created": "2024-01-02T03:04:05Z", "empty": []any{}},
			map[string]*qdrant.Value{"nul": null}),
		p(2, map[string]any{"user": "u2", "type": "episode", "n": 10, "f": 7.0, "ok": false, "tags": []any{"c"},
			"info": map[string]any{"city": "Paris"}, "text": "我爱北京 天安门", "created": "2024-06-01 00:00:00", "nums": []any{1, 2, 3}}, nil),
		p(3, map[string]any{"user": "u1", "type": "note", "tags": []any{}, "info": map[string]any{"city": "berlin"}, "text": "quick foxes",
			"created": "2024-03-01T00:00:00+02:00", "nul": []any{nil, 1}},
			map[string]*qdrant.Value{"n": qdrant.NewValueDouble(1)}), // a double 1.0, not an integer
		p(4, map[string]any{"user": "u3", "tags": []any{"a"}, "friends": []any{map[string]any{"name": "x"}, map[string]any{"name": "y"}}}, nil),
	)
	ts := func(s string) *timestamppb.Timestamp {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return timestamppb.New(tm)
	}
	kw := qdrant.NewMatchKeyword
	f := func(must ...*qdrant.Condition) *qdrant.Filter { return &qdrant.Filter{Must: must} }
	for _, tc := range []struct {
		name   string
		filter *qdrant.Filter
		want   string
	}{
		{"no filter", nil, "1,2,3,4"},
		{"empty filter", &qdrant.Filter{}, "1,2,3,4"},
		{"keyword", f(kw("user", "u1")), "1,3"},
		{"keyword is case sensitive", f(kw("info.city", "Berlin")), "1"},
		{"keyword on array: any element", f(kw("tags", "a")), "1,4"},
		{"keyword on a number never matches", f(kw("n", "5")), ""},
		{"keywords (any)", f(qdrant.NewMatchKeywords("type", "fact", "note")), "1,3"},
		{"except keywords: missing field never matches", f(qdrant.NewMatchExcept("type", "fact")), "2,3"},
		{"except keywords on arrays: some element not excluded", f(qdrant.NewMatchExcept("tags", "a")), "1,2"},
		{"integer", f(qdrant.NewMatchInt("n", 5)), "1"},
		{"integer never matches a double 1.0", f(qdrant.NewMatchInt("n", 1)), ""},
		{"integers (any)", f(qdrant.NewMatchInts("n", 5, 10)), "1,2"},
		{"except integers", f(qdrant.NewMatchExceptInts("n", 5)), "2,3"},
		{"integer on array", f(qdrant.NewMatchInt("nums", 2)), "2"},
		{"bool true", f(qdrant.NewMatchBool("ok", true)), "1"},
		{"bool false", f(qdrant.NewMatchBool("ok", false)), "2"},
		{"text: token, case-insensitive", f(qdrant.NewMatchText("text", "QUICK")), "1,3"},
		{"text: all tokens, whole tokens only", f(qdrant.NewMatchText("text", "fox quick")), "1"},
		{"text: not a substring of a token", f(qdrant.NewMatchText("text", "qui")), ""},
		{"text: a CJK run is one token", f(qdrant.NewMatchText("text", "北京")), ""},
		{"text: CJK token", f(qdrant.NewMatchText("text", "天安门")), "2"},
		{"text: empty query", f(qdrant.NewMatchText("text", " ")), ""},
		{"range gte on int", f(qdrant.NewRange("n", &qdrant.Range{Gte: qdrant.PtrOf(5.0)})), "1,2"},
		{"range lt matches double", f(qdrant.NewRange("n", &qdrant.Range{Lt: qdrant.PtrOf(5.0)})), "3"},
		{"range both bounds", f(qdrant.NewRange("n", &qdrant.Range{Gte: qdrant.PtrOf(1.0), Lte: qdrant.PtrOf(5.0)})), "1,3"},
		{"range exclusive", f(qdrant.NewRange("f", &qdrant.Range{Gt: qdrant.PtrOf(2.5)})), "2"},
		{"range on strings never matches", f(qdrant.NewRange("user", &qdrant.Range{Gte: qdrant.PtrOf(-1e9)})), ""},
		{"range on array", f(qdrant.NewRange("nums", &qdrant.Range{Gt: qdrant.PtrOf(2.0)})), "2"},
		{"datetime gte", f(qdrant.NewDatetimeRange("created", &qdrant.DatetimeRange{Gte: ts("2024-03-01T00:00:00Z")})), "2"},
		{"datetime with offset", f(qdrant.NewDatetimeRange("created", &qdrant.DatetimeRange{Gte: ts("2024-02-29T22:00:00Z"), Lt: ts("2024-03-01T00:00:00Z")})), "3"},
		{"datetime lte inclusive", f(qdrant.NewDatetimeRange("created", &qdrant.DatetimeRange{Lte: ts("2024-01-02T03:04:05Z")})), "1"},
		{"values count gte", f(qdrant.NewValuesCount("tags", &qdrant.ValuesCount{Gte: qdrant.PtrOf(uint64(2))})), "1"},
		{"values count of empty array", f(qdrant.NewValuesCount("tags", &qdrant.ValuesCount{Lt: qdrant.PtrOf(uint64(1))})), "3"},
		{"values count of missing field is 0", f(qdrant.NewValuesCount("nums", &qdrant.ValuesCount{Lt: qdrant.PtrOf(uint64(1))})), "1,3,4"},
		{"values count of scalar is 1", f(qdrant.NewValuesCount("user", &qdrant.ValuesCount{Gt: qdrant.PtrOf(uint64(0)), Lte: qdrant.PtrOf(uint64(1))})), "1,2,3,4"},
		{"is_empty: empty array", f(qdrant.NewIsEmpty("tags")), "3"},
		{"is_empty: missing, null or []", f(qdrant.NewIsEmpty("nul")), "1,2,4"},
		{"is_null: null or array holding null", f(qdrant.NewIsNull("nul")), "1,3"},
		{"is_null: missing is not null", f(qdrant.NewIsNull("nums")), ""},
		{"field is_empty=false", f(&qdrant.Condition{ConditionOneOf: &qdrant.Condition_Field{Field: &qdrant.FieldCondition{Key: "tags", IsEmpty: qdrant.PtrOf(false)}}}), "1,2,4"},
		{"field is_null=true", f(&qdrant.Condition{ConditionOneOf: &qdrant.Condition_Field{Field: &qdrant.FieldCondition{Key: "nul", IsNull: qdrant.PtrOf(true)}}}), "1,3"},
		{"has_id", f(qdrant.NewHasID(qdrant.NewIDNum(2), qdrant.NewIDNum(4), qdrant.NewIDNum(99))), "2,4"},
		{"dotted path", f(kw("info.city", "Paris")), "2"},
		{"array of objects via []", f(kw("friends[].name", "y")), "4"},
		{"array element by index", f(kw("friends[0].name", "y")), ""},
		{"no implicit array traversal", f(kw("friends.name", "y")), ""},
		{"must_not", &qdrant.Filter{MustNot: []*qdrant.Condition{kw("user", "u1")}}, "2,4"},
		{"must_not has_id", &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewHasID(qdrant.NewIDNum(1))}}, "2,3,4"},
		{"should: at least one", &qdrant.Filter{Should: []*qdrant.Condition{kw("user", "u2"), kw("type", "note")}}, "2,3"},
		{"empty should is ignored", &qdrant.Filter{Should: []*qdrant.Condition{}, Must: []*qdrant.Condition{kw("user", "u1")}}, "1,3"},
		{"must and should", &qdrant.Filter{Must: []*qdrant.Condition{kw("user", "u1")}, Should: []*qdrant.Condition{kw("type", "note"), kw("type", "x")}}, "3"},
		{"nested filter as condition", &qdrant.Filter{
			Must:    []*qdrant.Condition{qdrant.NewFilterAsCondition(&qdrant.Filter{Should: []*qdrant.Condition{kw("user", "u2"), kw("user", "u3")}})},
			MustNot: []*qdrant.Condition{kw("tags", "a")}}, "2"},
		{"nested must_not inside should", &qdrant.Filter{Should: []*qdrant.Condition{
			qdrant.NewFilterAsCondition(&qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewIsEmpty("tags")}, Must: []*qdrant.Condition{kw("user", "u1")}}),
			qdrant.NewHasID(qdrant.NewIDNum(4))}}, "1,4"},
		{"min_should", &qdrant.Filter{MinShould: &qdrant.MinShould{MinCount: 2,
			Conditions: []*qdrant.Condition{kw("user", "u1"), kw("tags", "a"), qdrant.NewMatchBool("ok", true)}}}, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pts := must[[]*qdrant.RetrievedPoint](t)(c.Scroll(ctx, &qdrant.ScrollPoints{CollectionName: "f", Filter: tc.filter}))
			if got := ids(pts); got != tc.want {
				t.Fatalf("scroll: %q, want %q", got, tc.want)
			}
			n := must[uint64](t)(c.Count(ctx, &qdrant.CountPoints{CollectionName: "f", Filter: tc.filter, Exact: qdrant.PtrOf(true)}))
			if int(n) != len(pts) {
				t.Fatalf("count %d, scroll %d", n, len(pts))
			}
		})
	}
}

func TestFilterErrors(t *testing.T) {
	_, c := start(t)
	createDense(t, c, "fe", 2, qdrant.Distance_Dot)
	field := func(fc *qdrant.FieldCondition) *qdrant.Condition {
		return &qdrant.Condition{ConditionOneOf: &qdrant.Condition_Field{Field: fc}}
	}
	for _, tc := range []struct {
		name   string
		filter *qdrant.Filter
		code   codes.Code
		want   string
	}{
		{"no field condition", &qdrant.Filter{Must: []*qdrant.Condition{field(&qdrant.FieldCondition{Key: "a"})}}, codes.InvalidArgument, "At least one field condition"},
		{"two field conditions", &qdrant.Filter{Must: []*qdrant.Condition{field(&qdrant.FieldCondition{Key: "a",
			Match: &qdrant.Match{MatchValue: &qdrant.Match_Keyword{Keyword: "x"}}, Range: &qdrant.Range{}})}}, codes.Unimplemented, "several conditions"},
		{"empty key", &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("", "x")}}, codes.InvalidArgument, "key"},
		{"geo", &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewGeoRadius("loc", 1, 2, 3)}}, codes.Unimplemented, "qdrant.FieldCondition.geo_radius"},
		{"nested condition", &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewNestedFilter("friends", &qdrant.Filter{})}}, codes.Unimplemented, "qdrant.Condition.nested"},
		{"has_vector", &qdrant.Filter{Should: []*qdrant.Condition{qdrant.NewHasVector("v")}}, codes.Unimplemented, "qdrant.Condition.has_vector"},
		{"phrase", &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewMatchPhrase("t", "a b")}}, codes.Unimplemented, "qdrant.Match.phrase"},
		{"text_any deep in a nested filter", &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewFilterAsCondition(&qdrant.Filter{
			Should: []*qdrant.Condition{qdrant.NewMatchTextAny("t", "a b")}})}}, codes.Unimplemented, "qdrant.Match.text_any"},
		{"min_count 0", &qdrant.Filter{MinShould: &qdrant.MinShould{}}, codes.InvalidArgument, "min_count"},
		{"bad has_id", &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewHasID(qdrant.NewID("nope"))}}, codes.InvalidArgument, "Unable to parse UUID: nope"},
		{"quoted key", &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword(`a."b.c"`, "x")}}, codes.Unimplemented, "quoted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Rejected even on an empty collection, by every filtering RPC.
			_, err := c.Count(t.Context(), &qdrant.CountPoints{CollectionName: "fe", Filter: tc.filter})
			wantErr(t, err, tc.code, tc.want)
			_, err = c.Query(t.Context(), &qdrant.QueryPoints{CollectionName: "fe", Query: qdrant.NewQueryDense([]float32{1, 0}), Filter: tc.filter})
			wantErr(t, err, tc.code, tc.want)
			_, err = c.Delete(t.Context(), &qdrant.DeletePoints{CollectionName: "fe", Points: qdrant.NewPointsSelectorFilter(tc.filter)})
			wantErr(t, err, tc.code, tc.want)
		})
	}
}
