package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// t0 is the fixed time every test counts from (a Wednesday).
var t0 = time.Date(2025, time.January, 15, 12, 0, 0, 0, time.UTC)

// clock is a deterministic clock: it says what it is set to.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// ev builds a normalised event of the native shape from a few fields:
// type, time, and key=value pairs for actor (user), ip, location, target
// and details.KEY.
func ev(t *testing.T, typ string, at time.Time, kv ...string) *event.Event {
	t.Helper()
	b, err := eventJSON(typ, at, kv...)
	if err != nil {
		t.Fatal(err)
	}
	e, err := event.Decode(b)
	if err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	catalogue().Normalize(e)
	return e
}

// catalogue is the built-in catalogue, parsed once for all tests.
var catalogue = sync.OnceValue(event.BuiltinCatalogue)

func eventJSON(typ string, at time.Time, kv ...string) ([]byte, error) {
	var actor, ctx, details, target []string
	id := ""
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := kv[i], kv[i+1]
		q := fmt.Sprintf("%q", v)
		switch {
		case k == "user":
			actor = append(actor, `"email":`+q)
		case k == "role":
			actor = append(actor, `"role":`+q)
		case k == "ip", k == "location", k == "user_agent":
			ctx = append(ctx, fmt.Sprintf("%q:%s", k, q))
		case k == "target":
			target = append(target, `"email":`+q)
		case k == "id":
			id = v
		case strings.HasPrefix(k, "details."):
			if strings.HasPrefix(v, "#") { // a JSON number
				q = v[1:]
			}
			details = append(details, fmt.Sprintf("%q:%s", strings.TrimPrefix(k, "details."), q))
		default:
			return nil, fmt.Errorf("ev: unknown key %q", k)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{"timestamp":%q,"event_type":%q`, at.UTC().Format(time.RFC3339Nano), typ)
	if id != "" {
		fmt.Fprintf(&b, `,"event_id":%q`, id)
	}
	for _, p := range []struct {
		k  string
		xs []string
	}{{"actor", actor}, {"target", target}, {"context", ctx}, {"details", details}} {
		if len(p.xs) > 0 {
			fmt.Fprintf(&b, `,%q:{%s}`, p.k, strings.Join(p.xs, ","))
		}
	}
	b.WriteString("}")
	return []byte(b.String()), nil
}

// openEngine opens an engine on a fresh data directory.
func openEngine(t *testing.T, dir string) *engine.Engine {
	t.Helper()
	e, err := engine.Open(dir, engine.Options{Now: func() time.Time { return t0 }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// appendEvents stores events and returns their seqs.
func appendEvents(t *testing.T, e *engine.Engine, evs ...*event.Event) {
	t.Helper()
	for _, x := range evs {
		e.Catalogue().Normalize(x)
	}
	if _, err := e.Append(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

// backtestAll runs rs over the whole store.
func backtestAll(t *testing.T, st *store.Store, rs *RuleSet) []Alert {
	t.Helper()
	var out []Alert
	if _, err := Backtest(context.Background(), st, rs, BacktestOptions{}, func(a Alert) error {
		out = append(out, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
