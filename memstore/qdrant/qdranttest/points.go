package qdranttest

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sort"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/proto"
)

type pointsService struct {
	qdrant.UnimplementedPointsServer
	s *Server
}

func (ps pointsService) CreateFieldIndex(_ context.Context, req *qdrant.CreateFieldIndexCollection) (*qdrant.PointsOperationResponse, error) {
	return ps.s.createFieldIndex(req)
}

// Upsert inserts or REPLACES whole points: the new payload and vectors
// replace the old ones, nothing is merged [notes 2(a).5]. The batch is
// validated completely before anything is applied; a later duplicate id in
// the same batch wins.
func (ps pointsService) Upsert(_ context.Context, req *qdrant.UpsertPoints) (*qdrant.PointsOperationResponse, error) {
	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	c, err := ps.s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if req.UpdateMode != nil && req.GetUpdateMode() != qdrant.UpdateMode_Upsert {
		return nil, unmodelled("Points.Upsert: update_mode %v is not modelled", req.GetUpdateMode())
	}
	pts := make([]*point, 0, len(req.GetPoints()))
	for _, in := range req.GetPoints() {
		p, err := c.buildPoint(in)
		if err != nil {
			return nil, err
		}
		pts = append(pts, p)
	}
	res := c.opResult(req.Wait)
	for _, p := range pts {
		p.version = c.opSeq
		c.points[p.id] = p
	}
	return res, nil
}

func (c *collection) buildPoint(in *qdrant.PointStruct) (*point, error) {
	if in.GetId() == nil {
		return nil, invalidArg("Empty ID is not allowed")
	}
	id, err := parseID(in.GetId())
	if err != nil {
		return nil, err
	}
	for k, v := range in.GetPayload() {
		if err := checkValue(k, v); err != nil {
			return nil, err
		}
	}
	p := &point{id: id, payload: clonePayload(in.GetPayload()), dense: map[string][]float32{}, sparse: map[string]sparseVec{}}
	vecs := map[string]*qdrant.Vector{}
	switch v := in.GetVectors().GetVectorsOptions().(type) {
	case *qdrant.Vectors_Vector:
		vecs[""] = v.Vector
	case *qdrant.Vectors_Vectors:
		vecs = v.Vectors.GetVectors()
	}
	for name, v := range vecs {
		if params, ok := c.dense[name]; ok {
			data, err := denseData(v)
			if err != nil {
				return nil, err
			}
			if err := checkDim(params, len(data)); err != nil {
				return nil, err
			}
			if params.GetDistance() == qdrant.Distance_Cosine {
				data = normalize(data)
			}
			p.dense[name] = append([]float32(nil), data...)
			continue
		}
		if _, ok := c.sparse[name]; ok {
			sv, err := sparseData(v)
			if err != nil {
				return nil, err
			}
			p.sparse[name] = sv
			continue
		}
		return nil, wrongInput("Not existing vector name error: %s", name)
	}
	if _, ok := p.dense[""]; c.unnamed && !ok {
		// DOUBLE CHOICE: the unnamed vector is mandatory. Named dense and
		// sparse vectors are optional per point, as in Qdrant.
		return nil, wrongInput("point %s has no vector, but the collection's unnamed vector is required", id)
	}
	return p, nil
}

func checkDim(params *qdrant.VectorParams, got int) error {
	if uint64(got) != params.GetSize() {
		// OperationError::WrongVectorDimension via CollectionError::BadInput.
		return wrongInput("Vector dimension error: expected dim: %d, got %d", params.GetSize(), got)
	}
	return nil
}

// denseData accepts Vector.dense and the deprecated Vector.data.
func denseData(v *qdrant.Vector) ([]float32, error) {
	switch x := v.GetVector().(type) {
	case *qdrant.Vector_Dense:
		return x.Dense.GetData(), nil
	case nil:
		if v.GetIndices() == nil {
			return v.GetData(), nil
		}
	}
	return nil, wrongInput("Conversion between sparse and regular vectors failed")
}

// sparseData accepts Vector.sparse and the deprecated Vector.data+indices.
func sparseData(v *qdrant.Vector) (sparseVec, error) {
	var idx []uint32
	var val []float32
	switch x := v.GetVector().(type) {
	case *qdrant.Vector_Sparse:
		idx, val = x.Sparse.GetIndices(), x.Sparse.GetValues()
	case nil:
		if v.GetIndices() == nil {
			return sparseVec{}, wrongInput("Conversion between sparse and regular vectors failed")
		}
		idx, val = v.GetIndices().GetData(), v.GetData()
	default:
		return sparseVec{}, wrongInput("Conversion between sparse and regular vectors failed")
	}
	return newSparse(idx, val)
}

// newSparse validates (same length, unique indices — Qdrant's SparseVector
// validation; message approximate) and sorts by index.
func newSparse(idx []uint32, val []float32) (sparseVec, error) {
	if len(idx) != len(val) {
		return sparseVec{}, invalidArg("Validation error: sparse vector: indices and values must be of the same length (%d != %d)", len(idx), len(val))
	}
	order := make([]int, len(idx))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return idx[order[a]] < idx[order[b]] })
	sv := sparseVec{indices: make([]uint32, len(idx)), values: make([]float32, len(idx))}
	for i, o := range order {
		sv.indices[i], sv.values[i] = idx[o], val[o]
		if i > 0 && sv.indices[i] == sv.indices[i-1] {
			return sparseVec{}, invalidArg("Validation error: sparse vector: indices must be unique (%d repeats)", sv.indices[i])
		}
	}
	return sv, nil
}

// Get returns the requested points that exist; missing ids are silently
// omitted [notes 2(a).6]. Default: no payload, no vectors. DOUBLE CHOICE:
// results come in request order, each id once (Qdrant promises no order).
func (ps pointsService) Get(_ context.Context, req *qdrant.GetPoints) (*qdrant.GetResponse, error) {
	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	c, err := ps.s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	ids, err := parseIDs(req.GetIds())
	if err != nil {
		return nil, err
	}
	sel, vsel, err := selectors(c, req.GetWithPayload(), req.GetWithVectors(), false)
	if err != nil {
		return nil, err
	}
	out := &qdrant.GetResponse{}
	seen := map[pointID]bool{}
	for _, id := range ids {
		if p, ok := c.points[id]; ok && !seen[id] {
			seen[id] = true
			out.Result = append(out.Result, retrieved(c, p, sel, vsel))
		}
	}
	return out, nil
}

func selectors(c *collection, wp *qdrant.WithPayloadSelector, wv *qdrant.WithVectorsSelector, payloadDefault bool) (payloadSel, vectorSel, error) {
	sel, err := parsePayloadSel(wp, payloadDefault)
	if err != nil {
		return payloadSel{}, vectorSel{}, err
	}
	vsel, err := parseVectorSel(wv, c)
	return sel, vsel, err
}

func retrieved(c *collection, p *point, sel payloadSel, vsel vectorSel) *qdrant.RetrievedPoint {
	return &qdrant.RetrievedPoint{Id: p.id.proto(), Payload: sel.apply(p.payload), Vectors: vsel.output(c, p)}
}

// selectPoints resolves a PointsSelector to existing points (in id order).
// With ids, missing ones are reported in `missing`.
func (c *collection) selectPoints(sel *qdrant.PointsSelector) (pts []*point, missing []pointID, err error) {
	switch v := sel.GetPointsSelectorOneOf().(type) {
	case *qdrant.PointsSelector_Points:
		ids, err := parseIDs(v.Points.GetIds())
		if err != nil {
			return nil, nil, err
		}
		for _, id := range ids {
			if p, ok := c.points[id]; ok {
				pts = append(pts, p)
			} else {
				missing = append(missing, id)
			}
		}
		return pts, missing, nil
	case *qdrant.PointsSelector_Filter:
		f, err := compileFilter(v.Filter)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range c.sorted() {
			if f(p) {
				pts = append(pts, p)
			}
		}
		return pts, nil, nil
	}
	return nil, nil, invalidArg("Malformed PointsSelector: neither ids nor filter")
}

// Delete removes points by ids (missing ids are not an error) or by filter.
func (ps pointsService) Delete(_ context.Context, req *qdrant.DeletePoints) (*qdrant.PointsOperationResponse, error) {
	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	c, err := ps.s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	pts, _, err := c.selectPoints(req.GetPoints())
	if err != nil {
		return nil, err
	}
	for _, p := range pts {
		delete(c.points, p.id)
	}
	return c.opResult(req.Wait), nil
}

// SetPayload merges the given keys into the payload: the given top-level keys
// are replaced, the others kept. DOUBLE CHOICE: the merge is shallow (a
// nested object given for an existing key replaces it whole). Setting under a
// nested `key` is not modelled.
func (ps pointsService) SetPayload(_ context.Context, req *qdrant.SetPayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.setPayload(req, false)
}

// OverwritePayload replaces the whole payload [notes 2(a).5].
func (ps pointsService) OverwritePayload(_ context.Context, req *qdrant.SetPayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.setPayload(req, true)
}

func (s *Server) setPayload(req *qdrant.SetPayloadPoints, overwrite bool) (*qdrant.PointsOperationResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	for k, v := range req.GetPayload() {
		if err := checkValue(k, v); err != nil {
			return nil, err
		}
	}
	pts, missing, err := c.selectPoints(req.GetPointsSelector())
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		// Qdrant reports an id given explicitly that does not exist as
		// PointIdError -> NotFound "No point with id … found". DOUBLE CHOICE:
		// nothing is applied then (Qdrant may have updated the others).
		return nil, notFound("No point with id %s found", missing[0])
	}
	res := c.opResult(req.Wait)
	for _, p := range pts {
		if overwrite {
			p.payload = clonePayload(req.GetPayload())
		} else {
			for k, v := range req.GetPayload() {
				p.payload[k] = proto.Clone(v).(*qdrant.Value)
			}
		}
		p.version = c.opSeq
	}
	return res, nil
}

// Count always counts exactly (Exact=false allows an estimate; an exact
// number is a valid estimate).
func (ps pointsService) Count(_ context.Context, req *qdrant.CountPoints) (*qdrant.CountResponse, error) {
	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	c, err := ps.s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	f, err := compileFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	var n uint64
	for _, p := range c.points {
		if f(p) {
			n++
		}
	}
	return &qdrant.CountResponse{Result: &qdrant.CountResult{Count: n}}, nil
}

// Scroll follows Collection::scroll_by [points.rs]:
//   - without order_by: points in id order, `offset` is INCLUSIVE, default
//     limit 10, next_page_offset = id of the first point of the next page
//     (limit+1 are fetched and the extra one popped), nil on the last page;
//   - with order_by: a range-capable payload index on the key is required,
//     `offset` is rejected, start_from is inclusive, next_page_offset is never
//     returned, each RetrievedPoint carries its order_value.
//
// Default with_payload is true, with_vectors false. Limit 0 is rejected.
func (ps pointsService) Scroll(_ context.Context, req *qdrant.ScrollPoints) (*qdrant.ScrollResponse, error) {
	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	c, err := ps.s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	f, err := compileFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	sel, vsel, err := selectors(c, req.GetWithPayload(), req.GetWithVectors(), true)
	if err != nil {
		return nil, err
	}
	var ob orderBy
	if req.OrderBy != nil {
		if ob, err = c.parseOrderBy(req.GetOrderBy()); err != nil {
			return nil, err
		}
		if req.Offset != nil {
			return nil, wrongInput("Cannot use an `offset` when using `order_by`. The alternative for paging is to use `order_by.start_from` and a filter to exclude the IDs that you've already seen for the `order_by.start_from` value")
		}
	}
	limit := 10
	if req.Limit != nil {
		if req.GetLimit() == 0 {
			return nil, badRequest("Limit cannot be 0")
		}
		limit = int(req.GetLimit())
	}
	out := &qdrant.ScrollResponse{}
	if req.OrderBy != nil {
		for _, e := range c.ordered(ob, f) {
			if len(out.Result) == limit {
				break
			}
			rp := retrieved(c, e.p, sel, vsel)
			rp.OrderValue = e.val.proto()
			out.Result = append(out.Result, rp)
		}
		return out, nil
	}
	var from *pointID
	if req.Offset != nil {
		id, err := parseID(req.GetOffset())
		if err != nil {
			return nil, err
		}
		from = &id
	}
	for _, p := range c.sorted() {
		if (from != nil && p.id.less(*from)) || !f(p) {
			continue
		}
		if len(out.Result) == limit {
			out.NextPageOffset = p.id.proto()
			break
		}
		out.Result = append(out.Result, retrieved(c, p, sel, vsel))
	}
	return out, nil
}

// orderValue is Qdrant's OrderValue: Int or Float. Integer indexes give Int,
// float indexes Float, datetime indexes Int microseconds since the epoch
// ([local] order_by.to_order_value).
type orderValue struct {
	isFloat bool
	i       int64
	f       float64
}

func (v orderValue) float() float64 {
	if v.isFloat {
		return v.f
	}
	return float64(v.i)
}

func cmpOrder(a, b orderValue) int {
	if !a.isFloat && !b.isFloat {
		return cmp.Compare(a.i, b.i)
	}
	return cmp.Compare(a.float(), b.float())
}

func (v orderValue) proto() *qdrant.OrderValue {
	if v.isFloat {
		return qdrant.NewOrderValueFloat(v.f)
	}
	return qdrant.NewOrderValueInt(v.i)
}

type orderBy struct {
	path  []step
	kind  qdrant.FieldType
	desc  bool
	start *orderValue
}

func (c *collection) parseOrderBy(ob *qdrant.OrderBy) (orderBy, error) {
	ix, ok := c.indexes[ob.GetKey()]
	if !ok || !ix.rangeCapable() {
		return orderBy{}, badRequest("No range index for `order_by` key: %s. Please create one to use `order_by`. Integer, float, and datetime payloads can have range indexes, see https://qdrant.tech/documentation/concepts/indexing/#payload-index.", ob.GetKey())
	}
	path, err := parsePath(ob.GetKey())
	if err != nil {
		return orderBy{}, err
	}
	out := orderBy{path: path, kind: ix.fieldType, desc: ob.GetDirection() == qdrant.Direction_Desc}
	if ob.StartFrom != nil {
		var v orderValue
		switch s := ob.GetStartFrom().GetValue().(type) {
		case *qdrant.StartFrom_Float:
			v = orderValue{isFloat: true, f: s.Float}
		case *qdrant.StartFrom_Integer:
			v = orderValue{i: s.Integer}
		case *qdrant.StartFrom_Timestamp:
			v = orderValue{i: s.Timestamp.AsTime().UnixMicro()}
		case *qdrant.StartFrom_Datetime:
			t, ok := parseDatetime(s.Datetime)
			if !ok {
				return orderBy{}, invalidArg("Unable to parse datetime in start_from: %q", s.Datetime)
			}
			v = orderValue{i: t.UnixMicro()}
		default:
			return orderBy{}, invalidArg("Malformed StartFrom: no value")
		}
		out.start = &v
	}
	return out, nil
}

type orderedEntry struct {
	val orderValue
	p   *point
}

// ordered lists the filtered points by their order_by values. A point appears
// once per distinct indexable value of the key (so an array field can list it
// several times) and not at all without one ([local] _scroll_by_value). Only
// values the index would hold count: integers for an integer index, numbers
// for a float index, datetime strings for a datetime index.
// DOUBLE CHOICE: ties are broken by point id ascending in both directions;
// real Qdrant leaves the order of equal values undefined.
func (c *collection) ordered(ob orderBy, f pred) []orderedEntry {
	var out []orderedEntry
	for _, p := range c.sorted() {
		if !f(p) {
			continue
		}
		var vals []orderValue
		for _, v := range valuesAt(p.payload, ob.path, true) {
			var ov orderValue
			switch k := v.GetKind().(type) {
			case *qdrant.Value_IntegerValue:
				switch ob.kind {
				case qdrant.FieldType_FieldTypeInteger:
					ov = orderValue{i: k.IntegerValue}
				case qdrant.FieldType_FieldTypeFloat:
					ov = orderValue{isFloat: true, f: float64(k.IntegerValue)}
				default:
					continue
				}
			case *qdrant.Value_DoubleValue:
				if ob.kind != qdrant.FieldType_FieldTypeFloat {
					continue
				}
				ov = orderValue{isFloat: true, f: k.DoubleValue}
			case *qdrant.Value_StringValue:
				t, ok := parseDatetime(k.StringValue)
				if ob.kind != qdrant.FieldType_FieldTypeDatetime || !ok {
					continue
				}
				ov = orderValue{i: t.UnixMicro()}
			default:
				continue
			}
			if ob.start != nil && ((!ob.desc && cmpOrder(ov, *ob.start) < 0) || (ob.desc && cmpOrder(ov, *ob.start) > 0)) {
				continue
			}
			if !slices.ContainsFunc(vals, func(x orderValue) bool { return cmpOrder(x, ov) == 0 }) {
				vals = append(vals, ov)
			}
		}
		for _, v := range vals {
			out = append(out, orderedEntry{val: v, p: p})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		d := cmpOrder(out[i].val, out[j].val)
		if ob.desc {
			d = -d
		}
		if d != 0 {
			return d < 0
		}
		return out[i].p.id.less(out[j].p.id)
	})
	return out
}

// Query models the universal query API for:
//   - nearest dense (NewQueryDense; `using` names the vector, default the
//     unnamed one): score = dot product for Dot, cosine for Cosine (query and
//     stored vectors normalised, so score = dot of unit vectors) [notes 2(a).4];
//   - nearest sparse (NewQuerySparse / NewQueryNearest with a sparse
//     VectorInput) on a named sparse vector: score = dot product over the
//     shared indices; points sharing no index are not returned; with the Idf
//     modifier each query weight is multiplied by
//     idf(t) = ln((N - n(t) + 0.5) / (n(t) + 0.5) + 1), N = points having that
//     sparse vector, n(t) = those containing index t (Qdrant's fancy_idf /
//     remap_idf_weights in segment's VectorQueryContext, computed in f32);
//   - order_by (NewQueryOrderBy): same order as Scroll, score 0, order_value
//     set; Offset is accepted and skips that many results [notes 2(a).3].
//
// Filter, limit (default 10), offset, score_threshold (nearest only; keeps
// score >= threshold), with_payload (default false), with_vectors. Results are
// sorted by score descending, DOUBLE CHOICE: ties by point id ascending.
// Prefetch, fusion, recommend, a query by point id and a query without
// `query` are not modelled.
func (ps pointsService) Query(_ context.Context, req *qdrant.QueryPoints) (*qdrant.QueryResponse, error) {
	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	c, err := ps.s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	f, err := compileFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	sel, vsel, err := selectors(c, req.GetWithPayload(), req.GetWithVectors(), false)
	if err != nil {
		return nil, err
	}
	limit := uint64(10)
	if req.Limit != nil {
		if req.GetLimit() == 0 {
			return nil, invalidArg("Validation error: limit: value 0 invalid, must be 1 or larger")
		}
		limit = req.GetLimit()
	}
	offset := req.GetOffset()
	var hits []*qdrant.ScoredPoint
	switch q := req.GetQuery().GetVariant().(type) {
	case *qdrant.Query_OrderBy:
		if req.Using != nil || req.ScoreThreshold != nil {
			return nil, unmodelled("Points.Query: `using` or `score_threshold` together with order_by is not modelled")
		}
		ob, err := c.parseOrderBy(q.OrderBy)
		if err != nil {
			return nil, err
		}
		for _, e := range c.ordered(ob, f) {
			hits = append(hits, &qdrant.ScoredPoint{Id: e.p.id.proto(), Payload: sel.apply(e.p.payload),
				Vectors: vsel.output(c, e.p), Version: e.p.version, OrderValue: e.val.proto()})
		}
	case *qdrant.Query_Nearest:
		score, err := c.scorer(req.GetUsing(), q.Nearest)
		if err != nil {
			return nil, err
		}
		for _, p := range c.sorted() {
			if !f(p) {
				continue
			}
			s, ok := score(p)
			if !ok || (req.ScoreThreshold != nil && s < req.GetScoreThreshold()) {
				continue
			}
			hits = append(hits, &qdrant.ScoredPoint{Id: p.id.proto(), Payload: sel.apply(p.payload),
				Vectors: vsel.output(c, p), Version: p.version, Score: s})
		}
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score }) // stable: id order on ties
	case nil:
		return nil, unmodelled("Points.Query without `query` (points in id order) is not modelled")
	default:
		return nil, unmodelled("Points.Query: query %T is not modelled", q)
	}
	if offset >= uint64(len(hits)) {
		return &qdrant.QueryResponse{}, nil
	}
	hits = hits[offset:]
	if uint64(len(hits)) > limit {
		hits = hits[:limit]
	}
	return &qdrant.QueryResponse{Result: hits}, nil
}

// scorer returns the similarity of a point to the query vector, and false
// when the point cannot be scored (no such vector, or no shared sparse index).
func (c *collection) scorer(using string, in *qdrant.VectorInput) (func(*point) (float32, bool), error) {
	switch v := in.GetVariant().(type) {
	case *qdrant.VectorInput_Dense:
		params, ok := c.dense[using]
		if !ok {
			return nil, c.vectorNameError(using)
		}
		qv := v.Dense.GetData()
		if err := checkDim(params, len(qv)); err != nil {
			return nil, err
		}
		if params.GetDistance() == qdrant.Distance_Cosine {
			qv = normalize(qv)
		}
		return func(p *point) (float32, bool) {
			pv, ok := p.dense[using]
			if !ok {
				return 0, false
			}
			var s float32
			for i := range qv {
				s += qv[i] * pv[i]
			}
			return s, true
		}, nil
	case *qdrant.VectorInput_Sparse:
		params, ok := c.sparse[using]
		if !ok {
			return nil, c.vectorNameError(using)
		}
		qv, err := newSparse(v.Sparse.GetIndices(), v.Sparse.GetValues())
		if err != nil {
			return nil, err
		}
		if params.GetModifier() == qdrant.Modifier_Idf {
			var n float32
			df := map[uint32]float32{}
			for _, p := range c.points {
				sv, ok := p.sparse[using]
				if !ok {
					continue
				}
				n++
				for _, i := range sv.indices {
					df[i]++
				}
			}
			for k, i := range qv.indices {
				idf := float32(math.Log(float64((n-df[i]+0.5)/(df[i]+0.5) + 1)))
				qv.values[k] *= idf
			}
		}
		return func(p *point) (float32, bool) {
			sv, ok := p.sparse[using]
			if !ok {
				return 0, false
			}
			var s float32
			overlap := false
			for a, b := 0, 0; a < len(qv.indices) && b < len(sv.indices); {
				switch {
				case qv.indices[a] == sv.indices[b]:
					s += qv.values[a] * sv.values[b]
					overlap = true
					a++
					b++
				case qv.indices[a] < sv.indices[b]:
					a++
				default:
					b++
				}
			}
			return s, overlap
		}, nil
	case nil:
		return nil, invalidArg("Malformed VectorInput: no variant")
	}
	return nil, unmodelled("Points.Query: nearest %T is not modelled", in.GetVariant())
}

func (c *collection) vectorNameError(name string) error {
	_, d := c.dense[name]
	_, s := c.sparse[name]
	if d || s {
		return wrongInput("Conversion between sparse and regular vectors failed")
	}
	return wrongInput("Not existing vector name error: %s", name)
}
