package qdranttest_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

func TestPayloadRoundTrip(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	createDense(t, c, "p", 2, qdrant.Distance_Dot)
	null := &qdrant.Value{Kind: &qdrant.Value_NullValue{}}
	cases := []struct {
		name string
		v    *qdrant.Value
	}{
		{"string", qdrant.NewValueString("hello")},
		{"chinese", qdrant.NewValueString("我喜欢在周末去爬山，记住这一点。")},
		{"empty string", qdrant.NewValueString("")},
		{"int64 max", qdrant.NewValueInt(math.MaxInt64)},
		{"int beyond 2^53", qdrant.NewValueInt(1<<62 + 1)},
		{"negative int", qdrant.NewValueInt(-7)},
		{"double", qdrant.NewValueDouble(3.25)},
		{"double 1.0 stays double", qdrant.NewValueDouble(1)},
		{"bool", qdrant.NewValueBool(true)},
		{"null", null},
		{"list", qdrant.NewValueList(&qdrant.ListValue{Values: []*qdrant.Value{qdrant.NewValueString("a"), qdrant.NewValueInt(2), null, qdrant.NewValueDouble(0.5)}})},
		{"empty list", qdrant.NewValueList(&qdrant.ListValue{})},
		{"struct", qdrant.NewValueStruct(&qdrant.Struct{Fields: map[string]*qdrant.Value{
			"city": qdrant.NewValueString("北京"), "zip": qdrant.NewValueInt(100000),
			"geo": qdrant.NewValueStruct(&qdrant.Struct{Fields: map[string]*qdrant.Value{"lat": qdrant.NewValueDouble(39.9)}})}})},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := uint64(i + 1)
			upsert(t, c, "p", &qdrant.PointStruct{Id: qdrant.NewIDNum(id), Vectors: qdrant.NewVectorsDense([]float32{1, 0}),
				Payload: map[string]*qdrant.Value{"v": tc.v}})
			got := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "p", Ids: []*qdrant.PointId{qdrant.NewIDNum(id)}, WithPayload: qdrant.NewWithPayload(true)}))
			if len(got) != 1 || !proto.Equal(got[0].GetPayload()["v"], tc.v) {
				t.Fatalf("got %v, want %v", got, tc.v)
			}
		})
	}
	// Defaults: Scroll returns the payload, Get and Query do not.
	one := []*qdrant.PointId{qdrant.NewIDNum(1)}
	if g := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "p", Ids: one})); len(g[0].GetPayload()) != 0 || g[0].GetVectors() != nil {
		t.Fatalf("Get default returned %v", g[0])
	}
	if s := must[[]*qdrant.RetrievedPoint](t)(c.Scroll(ctx, &qdrant.ScrollPoints{CollectionName: "p", Limit: qdrant.PtrOf(uint32(1))})); len(s[0].GetPayload()) == 0 || s[0].GetVectors() != nil {
		t.Fatalf("Scroll default returned %v", s[0])
	}
	if q := must[[]*qdrant.ScoredPoint](t)(c.Query(ctx, &qdrant.QueryPoints{CollectionName: "p", Query: qdrant.NewQueryDense([]float32{1, 0})})); len(q[0].GetPayload()) != 0 {
		t.Fatalf("Query default returned %v", q[0])
	}
	// A Value without a kind is rejected.
	_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "p", Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(99),
		Vectors: qdrant.NewVectorsDense([]float32{1, 0}), Payload: map[string]*qdrant.Value{"bad": {}}}}})
	wantErr(t, err, codes.InvalidArgument, "bad")
}

func TestUpsertReplacesWholePoint(t *testing.T) {
	_, c := start(t)
	createDense(t, c, "r", 2, qdrant.Distance_Dot)
	upsert(t, c, "r", pt(1, map[string]any{"a": 1, "b": "x"}, 1, 2))
	upsert(t, c, "r", pt(1, map[string]any{"a": 2}, 3, 4))
	got := must[[]*qdrant.RetrievedPoint](t)(c.Get(t.Context(), &qdrant.GetPoints{CollectionName: "r", Ids: []*qdrant.PointId{qdrant.NewIDNum(1)},
		WithPayload: qdrant.NewWithPayload(true), WithVectors: qdrant.NewWithVectors(true)}))
	want := qdrant.NewValueMap(map[string]any{"a": 2})
	if len(got) != 1 || len(got[0].GetPayload()) != 1 || !proto.Equal(got[0].GetPayload()["a"], want["a"]) {
		t.Fatalf("payload = %v, want only a=2", got[0].GetPayload())
	}
	if v := got[0].GetVectors().GetVector().GetDenseVector().GetData(); !slices.Equal(v, []float32{3, 4}) {
		t.Fatalf("vector = %v", v)
	}
	if n := must[uint64](t)(c.Count(t.Context(), &qdrant.CountPoints{CollectionName: "r", Exact: qdrant.PtrOf(true)})); n != 1 {
		t.Fatalf("count = %d", n)
	}
}

func TestCosineNormalisationAndScores(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	createDense(t, c, "cos", 3, qdrant.Distance_Cosine)
	createDense(t, c, "dot", 3, qdrant.Distance_Dot)
	raw := map[uint64][]float32{1: {3, 4, 0}, 2: {1, 1, 1}, 3: {-2, 0, 5}, 4: {0, 0, 0}}
	for id, v := range raw {
		upsert(t, c, "cos", pt(id, nil, v...))
		upsert(t, c, "dot", pt(id, nil, v...))
	}
	got := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "cos", Ids: []*qdrant.PointId{qdrant.NewIDNum(1), qdrant.NewIDNum(2), qdrant.NewIDNum(4)}, WithVectors: qdrant.NewWithVectors(true)}))
	for _, p := range got {
		v := p.GetVectors().GetVector().GetDenseVector().GetData()
		var sq float64
		for _, x := range v {
			sq += float64(x) * float64(x)
		}
		if id := p.GetId().GetNum(); id == 4 && sq != 0 || id != 4 && !near(sq, 1) {
			t.Fatalf("point %d: stored %v, |v|^2 = %v", id, v, sq)
		}
	}
	if v := got[0].GetVectors().GetVector().GetDenseVector().GetData(); !slices.Equal(v, []float32{0.6, 0.8, 0}) {
		t.Fatalf("normalised (3,4,0) = %v", v)
	}
	q := []float32{1, 2, 2}
	dot := func(a, b []float32) (s float64) {
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	norm := func(a []float32) float64 { return math.Sqrt(dot(a, a)) }
	for _, coll := range []string{"cos", "dot"} {
		hits := must[[]*qdrant.ScoredPoint](t)(c.Query(ctx, &qdrant.QueryPoints{CollectionName: coll, Query: qdrant.NewQueryDense(q)}))
		if len(hits) != 4 {
			t.Fatalf("%s: %d hits", coll, len(hits))
		}
		for i, h := range hits {
			v := raw[h.GetId().GetNum()]
			want := dot(q, v)
			if coll == "cos" && norm(v) > 0 {
				want /= norm(q) * norm(v)
			}
			if !near(float64(h.GetScore()), want) {
				t.Fatalf("%s: point %d score %v, want %v", coll, h.GetId().GetNum(), h.GetScore(), want)
			}
			if i > 0 && hits[i-1].GetScore() < h.GetScore() {
				t.Fatalf("%s: not sorted: %v", coll, hits)
			}
		}
	}
	// Dot does not normalise.
	d := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "dot", Ids: []*qdrant.PointId{qdrant.NewIDNum(1)}, WithVectors: qdrant.NewWithVectors(true)}))
	if v := d[0].GetVectors().GetVector().GetDenseVector().GetData(); !slices.Equal(v, []float32{3, 4, 0}) {
		t.Fatalf("dot vector = %v", v)
	}
}

func TestDimensionError(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	createDense(t, c, "d", 3, qdrant.Distance_Cosine)
	_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "d", Wait: qdrant.PtrOf(true), Points: []*qdrant.PointStruct{pt(1, nil, 1, 2, 3), pt(2, nil, 1, 2)}})
	wantErr(t, err, codes.InvalidArgument, "Wrong input: Vector dimension error: expected dim: 3, got 2")
	if n := must[uint64](t)(c.Count(ctx, &qdrant.CountPoints{CollectionName: "d"})); n != 0 {
		t.Fatalf("a rejected batch stored %d points", n)
	}
	_, err = c.Query(ctx, &qdrant.QueryPoints{CollectionName: "d", Query: qdrant.NewQueryDense([]float32{1, 2, 3, 4})})
	wantErr(t, err, codes.InvalidArgument, "Wrong input: Vector dimension error: expected dim: 3, got 4")
	_, err = c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "d", Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(3)}}})
	wantErr(t, err, codes.InvalidArgument, "no vector")
}

func TestPointIDs(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	createDense(t, c, "ids", 2, qdrant.Distance_Dot)
	const canon = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"
	for _, form := range []string{canon, strings.ToUpper(canon), "{" + canon + "}", strings.ReplaceAll(canon, "-", ""), "urn:uuid:" + canon} {
		t.Run(form, func(t *testing.T) {
			upsert(t, c, "ids", &qdrant.PointStruct{Id: qdrant.NewID(form), Vectors: qdrant.NewVectorsDense([]float32{1, 1}), Payload: qdrant.NewValueMap(map[string]any{"form": form})})
			got := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "ids", Ids: []*qdrant.PointId{qdrant.NewID(canon)}, WithPayload: qdrant.NewWithPayload(true)}))
			if len(got) != 1 || got[0].GetId().GetUuid() != canon || got[0].GetPayload()["form"].GetStringValue() != form {
				t.Fatalf("got %v", got)
			}
		})
	}
	if n := must[uint64](t)(c.Count(ctx, &qdrant.CountPoints{CollectionName: "ids"})); n != 1 {
		t.Fatalf("%d points, want the 5 forms to be one point", n)
	}
	for _, bad := range []string{"not-a-uuid", "123", ""} {
		_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "ids", Points: []*qdrant.PointStruct{{Id: qdrant.NewID(bad), Vectors: qdrant.NewVectorsDense([]float32{1, 1})}}})
		wantErr(t, err, codes.InvalidArgument, "Unable to parse UUID: "+bad)
		_, err = c.Get(ctx, &qdrant.GetPoints{CollectionName: "ids", Ids: []*qdrant.PointId{qdrant.NewID(bad)}})
		wantErr(t, err, codes.InvalidArgument, "Unable to parse UUID")
	}
	// Numeric ids; missing ids are omitted from Get, duplicates returned once.
	upsert(t, c, "ids", pt(7, nil, 1, 0), pt(0, nil, 0, 1))
	got := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "ids",
		Ids: []*qdrant.PointId{qdrant.NewIDNum(7), qdrant.NewIDNum(8), qdrant.NewID(uuid.NewString()), qdrant.NewIDNum(0), qdrant.NewIDNum(7)}}))
	if ids(got) != "7,0" {
		t.Fatalf("Get = %s", ids(got))
	}
}

func TestScrollPagingByID(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	createDense(t, c, "s", 2, qdrant.Distance_Dot)
	var want []string
	for i := uint64(1); i <= 13; i++ {
		upsert(t, c, "s", pt(i*3, map[string]any{"even": i%2 == 0}, 1, 0))
		want = append(want, fmt.Sprint(i*3))
	}
	var uuids []string
	for range 10 {
		u := uuid.NewString()
		uuids = append(uuids, u)
		upsert(t, c, "s", &qdrant.PointStruct{Id: qdrant.NewID(u), Vectors: qdrant.NewVectorsDense([]float32{0, 1}), Payload: qdrant.NewValueMap(map[string]any{"even": false})})
	}
	slices.Sort(uuids)
	want = append(want, uuids...) // numbers first, then UUIDs in byte order

	for _, limit := range []uint32{1, 5, 7, 23, 30} {
		var seen []string
		var offset *qdrant.PointId
		for page := 0; ; page++ {
			pts, next, err := c.ScrollAndOffset(ctx, &qdrant.ScrollPoints{CollectionName: "s", Limit: qdrant.PtrOf(limit), Offset: offset})
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) == 0 || len(pts) > int(limit) || page > 30 {
				t.Fatalf("limit %d page %d: %d points", limit, page, len(pts))
			}
			for _, p := range pts {
				seen = append(seen, idStr(p.GetId()))
			}
			if next == nil {
				break
			}
			// next_page_offset is the first id of the next page, and offset is inclusive.
			if i := len(seen); i >= len(want) || idStr(next) != want[i] {
				t.Fatalf("limit %d: next %s, want first id of the next page", limit, idStr(next))
			}
			offset = next
		}
		if strings.Join(seen, ",") != strings.Join(want, ",") {
			t.Fatalf("limit %d: scrolled %v\nwant %v", limit, seen, want)
		}
	}
	// default limit 10; offset of a missing id starts at the next one.
	pts := must[[]*qdrant.RetrievedPoint](t)(c.Scroll(ctx, &qdrant.ScrollPoints{CollectionName: "s", Offset: qdrant.NewIDNum(4)}))
	if len(pts) != 10 || pts[0].GetId().GetNum() != 6 {
		t.Fatalf("offset 4: %s", ids(pts))
	}
	// exactly a full last page: no next offset.
	pts, next, err := c.ScrollAndOffset(ctx, &qdrant.ScrollPoints{CollectionName: "s", Limit: qdrant.PtrOf(uint32(3)), Offset: qdrant.NewID(uuids[7])})
	if err != nil || len(pts) != 3 || next != nil {
		t.Fatalf("last page: %s next %v err %v", ids(pts), next, err)
	}
	// filtered paging
	pts, next, err = c.ScrollAndOffset(ctx, &qdrant.ScrollPoints{CollectionName: "s", Limit: qdrant.PtrOf(uint32(4)),
		Filter: &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchBool("even", true)}}})
	if err != nil || ids(pts) != "6,12,18,24" || next.GetNum() != 30 {
		t.Fatalf("filtered: %s next %v err %v", ids(pts), next, err)
	}
	_, err = c.Scroll(ctx, &qdrant.ScrollPoints{CollectionName: "s", Limit: qdrant.PtrOf(uint32(0))})
	wantErr(t, err, codes.InvalidArgument, "Limit cannot be 0")
}

func TestDeleteAndCount(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	createDense(t, c, "dc", 2, qdrant.Distance_Dot)
	for i := uint64(1); i <= 10; i++ {
		upsert(t, c, "dc", pt(i, map[string]any{"n": int64(i), "user": []string{"a", "b"}[i%2]}, float32(i), 1))
	}
	count := func(f *qdrant.Filter) uint64 {
		return must[uint64](t)(c.Count(ctx, &qdrant.CountPoints{CollectionName: "dc", Filter: f, Exact: qdrant.PtrOf(true)}))
	}
	userA := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("user", "a")}}
	if count(nil) != 10 || count(userA) != 5 {
		t.Fatalf("counts %d %d", count(nil), count(userA))
	}
	// missing ids are not an error
	if _, err := c.Delete(ctx, &qdrant.DeletePoints{CollectionName: "dc", Wait: qdrant.PtrOf(true), Points: qdrant.NewPointsSelector(qdrant.NewIDNum(2), qdrant.NewIDNum(3), qdrant.NewIDNum(999))}); err != nil {
		t.Fatal(err)
	}
	if count(nil) != 8 || count(userA) != 4 {
		t.Fatalf("after delete by ids: %d %d", count(nil), count(userA))
	}
	if _, err := c.Delete(ctx, &qdrant.DeletePoints{CollectionName: "dc", Wait: qdrant.PtrOf(true),
		Points: qdrant.NewPointsSelectorFilter(&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewRange("n", &qdrant.Range{Gte: qdrant.PtrOf(8.0)})}})}); err != nil {
		t.Fatal(err)
	}
	if count(nil) != 5 {
		t.Fatalf("after delete by filter: %d", count(nil))
	}
	rest := must[[]*qdrant.RetrievedPoint](t)(c.Scroll(ctx, &qdrant.ScrollPoints{CollectionName: "dc"}))
	hits := must[[]*qdrant.ScoredPoint](t)(c.Query(ctx, &qdrant.QueryPoints{CollectionName: "dc", Query: qdrant.NewQueryDense([]float32{1, 0})}))
	got := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "dc", Ids: []*qdrant.PointId{qdrant.NewIDNum(2), qdrant.NewIDNum(9), qdrant.NewIDNum(1)}}))
	if ids(rest) != "1,4,5,6,7" || ids(hits) != "7,6,5,4,1" || ids(got) != "1" {
		t.Fatalf("scroll %s query %s get %s", ids(rest), ids(hits), ids(got))
	}
}

func TestSetPayloadVsOverwrite(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	createDense(t, c, "sp", 2, qdrant.Distance_Dot)
	upsert(t, c, "sp", pt(1, map[string]any{"a": 1, "b": 2, "keep": "k"}, 1, 0), pt(2, map[string]any{"a": 1}, 0, 1), pt(3, map[string]any{"a": 2}, 1, 1))
	payload := func(id uint64) map[string]any {
		got := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "sp", Ids: []*qdrant.PointId{qdrant.NewIDNum(id)}, WithPayload: qdrant.NewWithPayload(true)}))
		out := map[string]any{}
		for k, v := range got[0].GetPayload() {
			out[k] = plain(v)
		}
		return out
	}
	if _, err := c.SetPayload(ctx, &qdrant.SetPayloadPoints{CollectionName: "sp", Wait: qdrant.PtrOf(true),
		Payload: qdrant.NewValueMap(map[string]any{"b": 3, "c": "new"}), PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(1))}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(payload(1)); got != "map[a:1 b:3 c:new keep:k]" {
		t.Fatalf("after SetPayload: %s", got)
	}
	if _, err := c.OverwritePayload(ctx, &qdrant.SetPayloadPoints{CollectionName: "sp", Wait: qdrant.PtrOf(true),
		Payload: qdrant.NewValueMap(map[string]any{"z": true}), PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(1))}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(payload(1)); got != "map[z:true]" {
		t.Fatalf("after OverwritePayload: %s", got)
	}
	// filter selector
	if _, err := c.SetPayload(ctx, &qdrant.SetPayloadPoints{CollectionName: "sp", Wait: qdrant.PtrOf(true),
		Payload:        qdrant.NewValueMap(map[string]any{"tag": "one"}),
		PointsSelector: qdrant.NewPointsSelectorFilter(&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchInt("a", 1)}})}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(payload(2)) != "map[a:1 tag:one]" || fmt.Sprint(payload(3)) != "map[a:2]" {
		t.Fatalf("filter selector: %v %v", payload(2), payload(3))
	}
	if _, err := c.OverwritePayload(ctx, &qdrant.SetPayloadPoints{CollectionName: "sp", Wait: qdrant.PtrOf(true),
		Payload:        qdrant.NewValueMap(map[string]any{"all": 1}),
		PointsSelector: qdrant.NewPointsSelectorFilter(&qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewHasID(qdrant.NewIDNum(2), qdrant.NewIDNum(3))}})}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(payload(2)) != "map[all:1]" || fmt.Sprint(payload(3)) != "map[all:1]" {
		t.Fatalf("overwrite by filter: %v %v", payload(2), payload(3))
	}
	_, err := c.SetPayload(ctx, &qdrant.SetPayloadPoints{CollectionName: "sp", Payload: qdrant.NewValueMap(map[string]any{"x": 1}),
		PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(3), qdrant.NewIDNum(42))})
	wantErr(t, err, codes.NotFound, "No point with id 42 found")
	_, err = c.SetPayload(ctx, &qdrant.SetPayloadPoints{CollectionName: "sp", Payload: qdrant.NewValueMap(map[string]any{"x": 1}),
		PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(3)), Key: qdrant.PtrOf("nested")})
	wantErr(t, err, codes.Unimplemented, "qdrant.SetPayloadPoints.key")
}

func TestNamedVectorsAndSelectors(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	if err := c.CreateCollection(ctx, &qdrant.CreateCollection{CollectionName: "nv",
		VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
			"text": {Size: 2, Distance: qdrant.Distance_Cosine}, "img": {Size: 3, Distance: qdrant.Distance_Dot}})}); err != nil {
		t.Fatal(err)
	}
	payload := qdrant.NewValueMap(map[string]any{"info": map[string]any{"city": "Berlin", "zip": 10115}, "user": "u1", "big": "x"})
	upsert(t, c, "nv",
		&qdrant.PointStruct{Id: qdrant.NewIDNum(1), Payload: payload, Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{
			"text": qdrant.NewVectorDense([]float32{0, 2}), "img": qdrant.NewVectorDense([]float32{1, 2, 3})})},
		&qdrant.PointStruct{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{
			"text": qdrant.NewVectorDense([]float32{1, 0})})}) // a subset of the named vectors is fine

	hits := must[[]*qdrant.ScoredPoint](t)(c.Query(ctx, &qdrant.QueryPoints{CollectionName: "nv", Query: qdrant.NewQueryDense([]float32{1, 1, 1}), Using: qdrant.PtrOf("img")}))
	if ids(hits) != "1" || hits[0].GetScore() != 6 {
		t.Fatalf("img query: %v", hits)
	}
	hits = must[[]*qdrant.ScoredPoint](t)(c.Query(ctx, &qdrant.QueryPoints{CollectionName: "nv", Query: qdrant.NewQueryDense([]float32{0, 1}), Using: qdrant.PtrOf("text"),
		WithVectors: qdrant.NewWithVectorsInclude("text"), WithPayload: qdrant.NewWithPayloadInclude("info.city", "user")}))
	if ids(hits) != "1,2" {
		t.Fatalf("text query: %s", ids(hits))
	}
	vecs := hits[0].GetVectors().GetVectors().GetVectors()
	if len(vecs) != 1 || !slices.Equal(vecs["text"].GetDenseVector().GetData(), []float32{0, 1}) {
		t.Fatalf("include text: %v", vecs)
	}
	want := qdrant.NewValueMap(map[string]any{"info": map[string]any{"city": "Berlin"}, "user": "u1"})
	if p := hits[0].GetPayload(); len(p) != 2 || !proto.Equal(p["info"], want["info"]) || !proto.Equal(p["user"], want["user"]) {
		t.Fatalf("include payload: %v", p)
	}
	got := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "nv", Ids: []*qdrant.PointId{qdrant.NewIDNum(1)},
		WithPayload: qdrant.NewWithPayloadExclude("big", "info.zip"), WithVectors: qdrant.NewWithVectors(true)}))
	if p := got[0].GetPayload(); len(p) != 2 || !proto.Equal(p["info"], want["info"]) {
		t.Fatalf("exclude payload: %v", p)
	}
	if v := got[0].GetVectors().GetVectors().GetVectors(); len(v) != 2 || !slices.Equal(v["img"].GetDenseVector().GetData(), []float32{1, 2, 3}) {
		t.Fatalf("all vectors: %v", v)
	}

	_, err := c.Query(ctx, &qdrant.QueryPoints{CollectionName: "nv", Query: qdrant.NewQueryDense([]float32{1, 1})})
	wantErr(t, err, codes.InvalidArgument, "Not existing vector name error")
	_, err = c.Query(ctx, &qdrant.QueryPoints{CollectionName: "nv", Query: qdrant.NewQueryDense([]float32{1, 1}), Using: qdrant.PtrOf("audio")})
	wantErr(t, err, codes.InvalidArgument, "Not existing vector name error: audio")
	_, err = c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "nv", Points: []*qdrant.PointStruct{pt(3, nil, 1, 1)}})
	wantErr(t, err, codes.InvalidArgument, "Not existing vector name error")
	_, err = c.Get(ctx, &qdrant.GetPoints{CollectionName: "nv", Ids: []*qdrant.PointId{qdrant.NewIDNum(1)}, WithVectors: qdrant.NewWithVectorsInclude("audio")})
	wantErr(t, err, codes.InvalidArgument, "Not existing vector name error: audio")
}

func TestScoreThresholdLimitOffset(t *testing.T) {
	_, c := start(t)
	createDense(t, c, "st", 3, qdrant.Distance_Cosine)
	upsert(t, c, "st", pt(1, nil, 1, 0, 0), pt(2, nil, 0, 1, 0), pt(3, nil, 0.6, 0.8, 0), pt(4, nil, 0.6, 0.8, 0), pt(5, nil, -1, 0, 0))
	q := func(thr *float32, limit, offset *uint64) string {
		hits := must[[]*qdrant.ScoredPoint](t)(c.Query(t.Context(), &qdrant.QueryPoints{CollectionName: "st", Query: qdrant.NewQueryDense([]float32{1, 0, 0}),
			ScoreThreshold: thr, Limit: limit, Offset: offset}))
		return ids(hits)
	}
	for _, tc := range []struct {
		name          string
		thr           *float32
		limit, offset *uint64
		want          string
	}{
		{"all, ties by id", nil, nil, nil, "1,3,4,2,5"},
		{"threshold inclusive", qdrant.PtrOf(float32(0.6)), nil, nil, "1,3,4"},
		{"threshold 0", qdrant.PtrOf(float32(0)), nil, nil, "1,3,4,2"},
		{"threshold above all", qdrant.PtrOf(float32(1.5)), nil, nil, ""},
		{"limit", nil, qdrant.PtrOf(uint64(2)), nil, "1,3"},
		{"offset", nil, qdrant.PtrOf(uint64(2)), qdrant.PtrOf(uint64(2)), "4,2"},
		{"offset past end", nil, nil, qdrant.PtrOf(uint64(9)), ""},
	} {
		if got := q(tc.thr, tc.limit, tc.offset); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// Old clients send vectors in the deprecated Vector.data (+ indices) fields;
// Qdrant still accepts them.
func TestDeprecatedVectorFields(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	if err := c.CreateCollection(ctx, &qdrant.CreateCollection{CollectionName: "old",
		VectorsConfig:       qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{"d": {Size: 2, Distance: qdrant.Distance_Dot}}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{"s": {}})}); err != nil {
		t.Fatal(err)
	}
	upsert(t, c, "old", &qdrant.PointStruct{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{
		"d": {Data: []float32{1, 2}},
		"s": {Data: []float32{0.5}, Indices: &qdrant.SparseIndices{Data: []uint32{4}}}})})
	got := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "old", Ids: []*qdrant.PointId{qdrant.NewIDNum(1)}, WithVectors: qdrant.NewWithVectors(true)}))
	v := got[0].GetVectors().GetVectors().GetVectors()
	if !slices.Equal(v["d"].GetDenseVector().GetData(), []float32{1, 2}) || !slices.Equal(v["s"].GetSparseVector().GetIndices(), []uint32{4}) {
		t.Fatalf("vectors = %v", v)
	}
	_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "old", Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(2),
		Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"d": {Data: []float32{1}, Indices: &qdrant.SparseIndices{Data: []uint32{1}}}})}}})
	wantErr(t, err, codes.InvalidArgument, "Conversion between sparse and regular vectors failed")
	_, err = c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "old", Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(2),
		Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"s": {Data: []float32{1}}})}}})
	wantErr(t, err, codes.InvalidArgument, "Conversion between sparse and regular vectors failed")
	_, err = c.Query(ctx, &qdrant.QueryPoints{CollectionName: "old", Using: qdrant.PtrOf("d"), Query: qdrant.NewQueryDense([]float32{1, 1}), Limit: qdrant.PtrOf(uint64(0))})
	wantErr(t, err, codes.InvalidArgument, "limit")
}
