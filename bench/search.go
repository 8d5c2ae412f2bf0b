package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/query"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// Latency is one search measured, and the same question answered by the
// baseline an analyst has without vigil: a linear scan of the same JSON
// lines, decoded with encoding/json and tested with the query (jq's job).
type Latency struct {
	Name     string
	Query    string
	Took     time.Duration // vigil, the median of the runs
	Baseline time.Duration // the scan
	Matches  uint64
}

// searchQueries are the searches measured: each shape of the query
// language an analyst runs during an incident.
var searchQueries = []struct{ name, q, op string }{
	{"selective field, first page", `user:%s`, "page"},
	{"wildcard action, first page", `action:login.*`, "page"},
	{"7-day range, first page", `time:>now-7d`, "page"},
	{"3-way AND, first page", `action:login.failed AND role:viewer AND outcome:failure`, "page"},
	{"free-text word, first page", `dashboard`, "page"},
	{"everything newest first, first page", `*`, "page"},
	{"exact count of everything", `*`, "count"},
	{"exact count, selective", `action:login.failed`, "count"},
	{"top 10 ip", `* | top 10 ip`, "agg"},
}

// RunSearch fills a store with cfg.Events generated events through the real
// ingest and index, reports the indexed ingest rate against JSON decoding,
// and measures each search against a linear scan.
func RunSearch(ctx context.Context, cfg Config) (ingestRate, decodeRate float64, out []Latency, err error) {
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "vigil-bench")
		if err != nil {
			return 0, 0, nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	say := func(s string) {
		if cfg.Progress != nil {
			cfg.Progress(s)
		}
	}
	end := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	now := end // queries are evaluated as if at the end of the data
	say("generate events")
	var jsonl bytes.Buffer
	n, err := demo.WriteJSONL(&jsonl, demo.Config{Events: cfg.Events, Days: 30, Seed: cfg.Seed, End: end})
	if err != nil {
		return 0, 0, nil, err
	}
	lines := bytes.Split(bytes.TrimSpace(jsonl.Bytes()), []byte{'\n'})

	say("decode with encoding/json (baseline)")
	start := time.Now()
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			return 0, 0, nil, err
		}
	}
	decodeRate = float64(n) / time.Since(start).Seconds()

	say("ingest and index")
	e, err := engine.Open(filepath.Join(dir, "data"), engine.Options{Now: func() time.Time { return now }})
	if err != nil {
		return 0, 0, nil, err
	}
	defer e.Close()
	start = time.Now()
	// As vigil ingest does: the index follows the store while events are
	// stored, and the figure is the time until all of them are searchable.
	stopIndexing := e.StartIndexer(ctx)
	_, err = ingest.Run(ctx, e.Store(), []ingest.Source{{Name: "bench", R: bytes.NewReader(jsonl.Bytes())}}, ingest.Options{Catalogue: e.Catalogue()})
	if ierr := stopIndexing(); err == nil {
		err = ierr
	}
	if err != nil {
		return 0, 0, nil, err
	}
	if err := e.CatchUp(ctx, nil); err != nil {
		return 0, 0, nil, err
	}
	ingestRate = float64(n) / time.Since(start).Seconds()

	// A user from the middle of the data: the selective query.
	var user string
	for _, l := range lines[len(lines)/2:] {
		if ev, err := event.Decode(l); err == nil && ev.Actor.Email != "" {
			user = ev.Actor.Email
			break
		}
	}
	cat := e.Catalogue()
	for _, sq := range searchQueries {
		text := sq.q
		if sq.name == "selective field, first page" {
			text = fmt.Sprintf(sq.q, user)
		}
		say(sq.name)
		c, err := e.Compile(engine.Request{Query: text})
		if err != nil {
			return 0, 0, nil, err
		}
		run := func() (uint64, error) {
			switch sq.op {
			case "page":
				p, err := e.Search(ctx, c, 50, "")
				return uint64(len(p.Events)), err
			case "count":
				return e.Count(ctx, c)
			default:
				agg, err := e.Aggregate(ctx, c)
				if err != nil {
					return 0, err
				}
				return agg.Total, nil
			}
		}
		var took []time.Duration
		var matches uint64
		for i := 0; i < 7; i++ {
			t0 := time.Now()
			if matches, err = run(); err != nil {
				return 0, 0, nil, fmt.Errorf("%s: %w", sq.name, err)
			}
			took = append(took, time.Since(t0))
		}
		base, err := scan(lines, text, now, cat, sq.op)
		if err != nil {
			return 0, 0, nil, err
		}
		out = append(out, Latency{Name: sq.name, Query: text, Took: median(took), Baseline: base, Matches: matches})
	}
	return ingestRate, decodeRate, out, nil
}

// scan answers a query the way a script would without an index: decode
// every line with encoding/json, test it, keep the newest 50 (for a page)
// or count (for counts and aggregations).
func scan(lines [][]byte, text string, now time.Time, cat *event.Catalogue, op string) (time.Duration, error) {
	q, err := query.Parse(text)
	if err != nil {
		return 0, err
	}
	m, err := query.Compile(q.Filter, now)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	var tally *query.Tally
	if top, ok := q.Stage.(*query.Top); ok {
		if tally, err = query.NewTally(top.Field); err != nil {
			return 0, err
		}
	}
	for _, l := range lines {
		var raw map[string]any // what encoding/json costs, as jq-style tools pay it
		if err := json.Unmarshal(l, &raw); err != nil {
			return 0, err
		}
		ev, err := event.Decode(l)
		if err != nil {
			return 0, err
		}
		cat.Normalize(ev)
		if m.Match(ev) && tally != nil {
			tally.Add(ev)
		}
	}
	return time.Since(start), nil
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
