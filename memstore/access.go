package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrForbidden marks a request for memories the caller may not touch (another user's).
var ErrForbidden = errors.New("forbidden")

// Access is what an authenticated caller may touch: every user (an admin key) or a fixed set of
// user ids. The core enforces it on every operation that names or reaches a user, so no transport
// can forget a check. A context without an Access is unrestricted: stdio, the CLI and the
// background workers act for the person who runs them.
type Access struct {
	admin bool
	users []string
}

// AdminAccess may touch every user's memories.
func AdminAccess() Access { return Access{admin: true} }

// UsersAccess may touch only these users' memories.
func UsersAccess(users ...string) Access {
	u := slices.Clone(users)
	slices.Sort(u)
	return Access{users: slices.Compact(u)}
}

// Admin reports whether the access reaches every user.
func (a Access) Admin() bool { return a.admin }

// Users returns the user ids a non-admin access reaches.
func (a Access) Users() []string { return slices.Clone(a.users) }

// Allows reports whether the access reaches user.
func (a Access) Allows(user string) bool { return a.admin || slices.Contains(a.users, user) }

// OnlyUser returns the user when the access reaches exactly one: calls that name no user act as it.
func (a Access) OnlyUser() (string, bool) {
	if a.admin || len(a.users) != 1 {
		return "", false
	}
	return a.users[0], true
}

type accessKey struct{}

// WithAccess returns a context that carries a caller's access.
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// AccessFrom returns the caller's access, and false when the context carries none (unrestricted).
func AccessFrom(ctx context.Context) (Access, bool) {
	a, ok := ctx.Value(accessKey{}).(Access)
	return a, ok
}

// forbiddenError names the user the caller may not touch.
type forbiddenError struct{ user string }

func (e *forbiddenError) Error() string {
	return fmt.Sprintf("this API key may not access user %q; use a key issued for that user (or an admin key)", e.user)
}
func (e *forbiddenError) Is(target error) bool { return target == ErrForbidden }

// authorize refuses when the caller's access does not reach user.
func authorize(ctx context.Context, user string) error {
	if a, ok := AccessFrom(ctx); ok && !a.Allows(user) {
		return &forbiddenError{user: user}
	}
	return nil
}
