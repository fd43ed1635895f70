package qdrant

import (
	"time"

	"github.com/google/uuid"
	"github.com/qdrant/go-client/qdrant"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// query is a memstore filter in Qdrant's terms: the server filter, and whether the memstore
// expression must still be applied to the points it returns (conditions Qdrant cannot evaluate
// exactly: substring matches, comparisons of strings and of times to the nanosecond). The server
// filter is then a superset of the answer, never a subset.
type query struct {
	filter *qdrant.Filter
	post   *memstore.Expr
}

func (q query) keep(m *memstore.Memory) bool { return q.post == nil || q.post.Match(m) }

func keyword(field, v string) *qdrant.Condition { return qdrant.NewMatchKeyword(field, v) }

// timeAfter matches points whose time (field_us, field_rem) is after t, or at t when orEqual.
func timeAfter(field string, t time.Time, orEqual bool) *qdrant.Condition {
	return timeCompare(field, t, true, orEqual)
}

// timeBefore matches points whose time is before t, or at t when orEqual.
func timeBefore(field string, t time.Time, orEqual bool) *qdrant.Condition {
	return timeCompare(field, t, false, orEqual)
}

// timeCompare compares exactly: whole microseconds beyond t's, or t's microsecond and the
// nanoseconds within it beyond (or at) t's.
func timeCompare(field string, t time.Time, after, orEqual bool) *qdrant.Condition {
	us, rem := splitTime(t)
	beyond := func(v int64, inclusive bool) *qdrant.Range {
		x := qdrant.PtrOf(float64(v))
		switch {
		case after && inclusive:
			return &qdrant.Range{Gte: x}
		case after:
			return &qdrant.Range{Gt: x}
		case inclusive:
			return &qdrant.Range{Lte: x}
		default:
			return &qdrant.Range{Lt: x}
		}
	}
	return qdrant.NewFilterAsCondition(&qdrant.Filter{Should: []*qdrant.Condition{
		qdrant.NewRange(field+"_us", beyond(us, false)),
		qdrant.NewFilterAsCondition(&qdrant.Filter{Must: []*qdrant.Condition{
			qdrant.NewMatchInt(field+"_us", us), qdrant.NewRange(field+"_rem", beyond(rem, orEqual))}}),
	}})
}

// buildQuery translates scope and filter.
func buildQuery(scope memstore.Scope, f memstore.Filter) query {
	must := []*qdrant.Condition{keyword("user_id", scope.UserID)}
	var mustNot []*qdrant.Condition
	if len(scope.CubeIDs) > 0 {
		must = append(must, qdrant.NewMatchKeywords("cube_id", scope.CubeIDs...))
	}
	if f.Kind != "" {
		must = append(must, keyword("kind", string(f.Kind)))
	}
	if !f.AnyStatus {
		statuses := []string{string(memstore.StatusActivated)}
		if len(f.Statuses) > 0 {
			statuses = statuses[:0]
			for _, st := range f.Statuses {
				statuses = append(statuses, string(st))
			}
		}
		must = append(must, qdrant.NewMatchKeywords("status", statuses...))
	}
	if f.ConversationID != "" {
		must = append(must, keyword("conversation_id", f.ConversationID))
	}
	switch f.Expiry {
	case memstore.ExcludeExpired: // never expires, or expires after now
		must = append(must, qdrant.NewFilterAsCondition(&qdrant.Filter{Should: []*qdrant.Condition{
			qdrant.NewIsEmpty("expires_us"), timeAfter("expires", f.Now, false)}}))
	case memstore.OnlyExpired:
		must = append(must, timeBefore("expires", f.Now, true))
	}
	q := query{}
	if f.Expr != nil {
		cond, exact := translate(f.Expr)
		if cond != nil {
			must = append(must, cond)
		}
		if !exact {
			q.post = f.Expr
		}
	}
	q.filter = &qdrant.Filter{Must: must, MustNot: mustNot}
	return q
}

// keywordFields are compared exactly by Qdrant's keyword match.
var keywordFields = map[string]bool{"cube_id": true, "conversation_id": true, "kind": true, "memory_type": true,
	"preference_type": true, "status": true, "polarity": true, "key": true, "topic": true}

// translate turns an expression into a Qdrant condition. exact reports whether the condition is the
// expression; when it is not, the condition (possibly nil: no constraint) only narrows the points
// to a superset, and the expression is applied afterwards.
func translate(e *memstore.Expr) (*qdrant.Condition, bool) {
	switch {
	case e.Cond != nil:
		return translateCond(e.Cond)
	case len(e.Or) > 0:
		var should []*qdrant.Condition
		for _, c := range e.Or {
			cond, exact := translate(c)
			if cond == nil || !exact {
				return nil, false // an inexact branch could exclude a match: no server constraint
			}
			should = append(should, cond)
		}
		return qdrant.NewFilterAsCondition(&qdrant.Filter{Should: should}), true
	default:
		var must []*qdrant.Condition
		exact := true
		for _, c := range e.And {
			cond, ok := translate(c)
			if cond != nil {
				must = append(must, cond)
			}
			exact = exact && ok
		}
		if len(must) == 0 {
			return nil, exact
		}
		return qdrant.NewFilterAsCondition(&qdrant.Filter{Must: must}), exact
	}
}

func translateCond(c *memstore.Cond) (*qdrant.Condition, bool) {
	field := c.Field
	isInfo := len(field) > 5 && field[:5] == "info."
	switch {
	case field == "id":
		switch c.Op {
		case "eq":
			if u, err := uuid.Parse(c.Value.(string)); err == nil {
				return qdrant.NewHasID(qdrant.NewID(u.String())), true
			}
			return nil, false
		case "in":
			var ids []*qdrant.PointId
			for _, v := range c.Value.([]any) {
				u, err := uuid.Parse(v.(string))
				if err != nil {
					return nil, false
				}
				ids = append(ids, qdrant.NewID(u.String()))
			}
			return qdrant.NewHasID(ids...), true
		}
		return nil, false
	case keywordFields[field] || isInfo || field == "tags":
		switch c.Op {
		case "eq", "contains":
			if c.Op == "contains" && field != "tags" {
				return nil, false // a substring of a string
			}
			return keyword(field, c.Value.(string)), true
		case "in":
			var vals []string
			for _, v := range c.Value.([]any) {
				vals = append(vals, v.(string))
			}
			return qdrant.NewMatchKeywords(field, vals...), true
		}
		return nil, false // like, and gt/lt on strings: applied after loading
	case field == "confidence":
		v := c.Value
		r := &qdrant.Range{}
		switch c.Op {
		case "eq":
			r.Gte, r.Lte = qdrant.PtrOf(v.(float64)), qdrant.PtrOf(v.(float64))
		case "gt":
			r.Gt = qdrant.PtrOf(v.(float64))
		case "gte":
			r.Gte = qdrant.PtrOf(v.(float64))
		case "lt":
			r.Lt = qdrant.PtrOf(v.(float64))
		case "lte":
			r.Lte = qdrant.PtrOf(v.(float64))
		case "in":
			return nil, false
		}
		return qdrant.NewRange(field, r), true
	case field == "created_at" || field == "updated_at" || field == "expires_at":
		base := field[:len(field)-3] // created, updated, expires
		t, ok := c.Value.(time.Time)
		if !ok {
			return nil, false
		}
		switch c.Op {
		case "gt":
			return timeAfter(base, t, false), true
		case "gte":
			return timeAfter(base, t, true), true
		case "lt":
			return timeBefore(base, t, false), true
		case "lte":
			return timeBefore(base, t, true), true
		case "eq":
			us, rem := splitTime(t)
			return qdrant.NewFilterAsCondition(&qdrant.Filter{Must: []*qdrant.Condition{
				qdrant.NewMatchInt(base+"_us", us), qdrant.NewMatchInt(base+"_rem", rem)}}), true
		}
		return nil, false
	}
	return nil, false // text fields (memory, preference, background): applied after loading
}
