package qdranttest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

func index(t *testing.T, c *qdrant.Client, coll, field string, ft qdrant.FieldType, p *qdrant.PayloadIndexParams) {
	t.Helper()
	if _, err := c.CreateFieldIndex(t.Context(), &qdrant.CreateFieldIndexCollection{CollectionName: coll, Wait: qdrant.PtrOf(true),
		FieldName: field, FieldType: ft.Enum(), FieldIndexParams: p}); err != nil {
		t.Fatal(err)
	}
}

func TestScrollOrderBy(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	createDense(t, c, "o", 2, qdrant.Distance_Dot)
	index(t, c, "o", "created_at", qdrant.FieldType_FieldTypeInteger, qdrant.NewPayloadIndexParamsInt(&qdrant.IntegerIndexParams{Lookup: qdrant.PtrOf(false), Range: qdrant.PtrOf(true)}))
	index(t, c, "o", "score", qdrant.FieldType_FieldTypeFloat, nil)
	index(t, c, "o", "at", qdrant.FieldType_FieldTypeDatetime, nil)
	index(t, c, "o", "kind", qdrant.FieldType_FieldTypeKeyword, nil)
	index(t, c, "o", "lookup_only", qdrant.FieldType_FieldTypeInteger, qdrant.NewPayloadIndexParamsInt(&qdrant.IntegerIndexParams{Lookup: qdrant.PtrOf(true), Range: qdrant.PtrOf(false)}))
	upsert(t, c, "o",
		pt(1, map[string]any{"created_at": 100, "score": 1.5, "at": "2024-01-01T00:00:00Z", "lookup_only": 1}, 1, 0),
		pt(2, map[string]any{"created_at": 300, "score": 2, "at": "2024-01-03T00:00:00Z"}, 1, 0),
		pt(3, map[string]any{"created_at": 200, "score": 0.5}, 1, 0),
		pt(4, map[string]any{"created_at": 300, "at": "2024-01-02 00:00:00"}, 1, 0),
		pt(5, map[string]any{"score": "high", "at": "yesterday"}, 1, 0), // not indexable: left out
		pt(6, map[string]any{"created_at": 250.0}, 1, 0),                // a double is not in an integer index
		pt(7, map[string]any{"created_at": []any{50, 400}}, 1, 0),       // one entry per value
		pt(8, map[string]any{"created_at": 200}, 1, 0),
	)
	asc, desc := qdrant.Direction_Asc.Enum(), qdrant.Direction_Desc.Enum()
	for _, tc := range []struct {
		name   string
		ob     *qdrant.OrderBy
		limit  uint32
		filter *qdrant.Filter
		want   string
		first  *qdrant.OrderValue
	}{
		{"asc by default, ties by id", &qdrant.OrderBy{Key: "created_at"}, 0, nil, "7,1,3,8,2,4,7", qdrant.NewOrderValueInt(50)},
		{"desc", &qdrant.OrderBy{Key: "created_at", Direction: desc}, 0, nil, "7,2,4,3,8,1,7", qdrant.NewOrderValueInt(400)},
		{"asc start_from inclusive", &qdrant.OrderBy{Key: "created_at", Direction: asc, StartFrom: qdrant.NewStartFromInt(200)}, 0, nil, "3,8,2,4,7", nil},
		{"desc start_from inclusive", &qdrant.OrderBy{Key: "created_at", Direction: desc, StartFrom: qdrant.NewStartFromInt(200)}, 0, nil, "3,8,1,7", nil},
		{"limit", &qdrant.OrderBy{Key: "created_at"}, 3, nil, "7,1,3", nil},
		{"filter", &qdrant.OrderBy{Key: "created_at"}, 0, &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewHasID(qdrant.NewIDNum(7))}}, "1,3,8,2,4", nil},
		{"float index takes ints and doubles", &qdrant.OrderBy{Key: "score"}, 0, nil, "3,1,2", qdrant.NewOrderValueFloat(0.5)},
		{"float index, int start_from", &qdrant.OrderBy{Key: "score", StartFrom: qdrant.NewStartFromInt(1)}, 0, nil, "1,2", qdrant.NewOrderValueFloat(1.5)},
		{"datetime desc", &qdrant.OrderBy{Key: "at", Direction: desc}, 0, nil, "2,4,1",
			qdrant.NewOrderValueInt(time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC).UnixMicro())},
		{"datetime start_from string", &qdrant.OrderBy{Key: "at", Direction: desc, StartFrom: qdrant.NewStartFromDatetime("2024-01-02T00:00:00Z")}, 0, nil, "4,1", nil},
		{"datetime start_from timestamp", &qdrant.OrderBy{Key: "at", StartFrom: qdrant.NewStartFromTimestamp(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC).Unix(), 0)}, 0, nil, "4,2", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &qdrant.ScrollPoints{CollectionName: "o", OrderBy: tc.ob, Filter: tc.filter}
			if tc.limit > 0 {
				req.Limit = qdrant.PtrOf(tc.limit)
			}
			pts, next, err := c.ScrollAndOffset(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(pts); got != tc.want || next != nil {
				t.Fatalf("got %s next %v, want %s and no next_page_offset", got, next, tc.want)
			}
			if tc.first != nil && pts[0].GetOrderValue().String() != tc.first.String() {
				t.Fatalf("order_value %v, want %v", pts[0].GetOrderValue(), tc.first)
			}
		})
	}
	for _, tc := range []struct {
		name string
		req  *qdrant.ScrollPoints
		code codes.Code
		want string
	}{
		{"no index", &qdrant.ScrollPoints{OrderBy: &qdrant.OrderBy{Key: "nope"}}, codes.InvalidArgument, "No range index for `order_by` key: nope"},
		{"keyword index", &qdrant.ScrollPoints{OrderBy: &qdrant.OrderBy{Key: "kind"}}, codes.InvalidArgument, "No range index for `order_by` key: kind"},
		{"integer index without range", &qdrant.ScrollPoints{OrderBy: &qdrant.OrderBy{Key: "lookup_only"}}, codes.InvalidArgument, "No range index"},
		{"offset with order_by", &qdrant.ScrollPoints{OrderBy: &qdrant.OrderBy{Key: "created_at"}, Offset: qdrant.NewIDNum(1)}, codes.InvalidArgument, "Cannot use an `offset` when using `order_by`"},
		{"bad start_from", &qdrant.ScrollPoints{OrderBy: &qdrant.OrderBy{Key: "at", StartFrom: qdrant.NewStartFromDatetime("soon")}}, codes.InvalidArgument, "start_from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.CollectionName = "o"
			_, err := c.Scroll(ctx, tc.req)
			wantErr(t, err, tc.code, tc.want)
		})
	}
}

// tiesCollection has 12 points with created_at = 10*(i/3): runs of 3 ties.
func tiesCollection(t *testing.T, c *qdrant.Client) []string {
	createDense(t, c, "ties", 2, qdrant.Distance_Dot)
	index(t, c, "ties", "created_at", qdrant.FieldType_FieldTypeInteger, nil)
	var want []string // desc by value, ties by id
	for i := uint64(0); i < 12; i++ {
		upsert(t, c, "ties", pt(100-i, map[string]any{"created_at": 10 * int64(i/3)}, 1, 0))
	}
	for v := 3; v >= 0; v-- {
		for i := 2; i >= 0; i-- {
			want = append(want, fmt.Sprint(100-(3*v+i)))
		}
	}
	return want
}

// The cursor recipe of [notes 3]: start_from the last value (inclusive) and
// must_not has_id the ids already seen with that value. No gaps, no dups.
func TestOrderByCursorPagingAcrossTies(t *testing.T) {
	_, c := start(t)
	want := tiesCollection(t, c)
	for _, size := range []uint32{1, 2, 4, 5} {
		var seen []string
		var start *qdrant.StartFrom
		var atLast []*qdrant.PointId
		for page := 0; page < 20; page++ {
			pts := must[[]*qdrant.RetrievedPoint](t)(c.Scroll(t.Context(), &qdrant.ScrollPoints{CollectionName: "ties", Limit: qdrant.PtrOf(size),
				OrderBy: &qdrant.OrderBy{Key: "created_at", Direction: qdrant.Direction_Desc.Enum(), StartFrom: start},
				Filter:  &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewHasID(atLast...)}}}))
			if len(pts) == 0 {
				break
			}
			for _, p := range pts {
				v := p.GetOrderValue().GetInt()
				if start == nil || v != start.GetInteger() {
					start, atLast = qdrant.NewStartFromInt(v), nil
				}
				atLast = append(atLast, p.GetId())
				seen = append(seen, idStr(p.GetId()))
			}
		}
		if !slices.Equal(seen, want) {
			t.Fatalf("size %d: %v, want %v", size, seen, want)
		}
	}
}

func TestQueryOrderByOffset(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	want := tiesCollection(t, c)
	var got []string
	for offset := uint64(0); offset < 15; offset += 5 {
		hits := must[[]*qdrant.ScoredPoint](t)(c.Query(ctx, &qdrant.QueryPoints{CollectionName: "ties",
			Query: qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: "created_at", Direction: qdrant.Direction_Desc.Enum()}),
			Limit: qdrant.PtrOf(uint64(5)), Offset: qdrant.PtrOf(offset), WithPayload: qdrant.NewWithPayloadInclude("created_at")}))
		for _, h := range hits {
			if h.GetScore() != 0 || h.GetOrderValue() == nil || h.GetOrderValue().GetInt() != h.GetPayload()["created_at"].GetIntegerValue() {
				t.Fatalf("hit %v", h)
			}
			got = append(got, idStr(h.GetId()))
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages %v, want %v", got, want)
	}
	_, err := c.Query(ctx, &qdrant.QueryPoints{CollectionName: "ties", Query: qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: "other"})})
	wantErr(t, err, codes.InvalidArgument, "No range index for `order_by` key: other")
	_, err = c.Query(ctx, &qdrant.QueryPoints{CollectionName: "ties", Query: qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: "created_at"}), ScoreThreshold: qdrant.PtrOf(float32(0.5))})
	wantErr(t, err, codes.Unimplemented, "score_threshold")
}
