package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/alerts"
	"github.com/vigil-dev/vigil/alerts/action"
	"github.com/vigil-dev/vigil/event"
)

func (a *app) alertsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Backtest alert rules, list stored alerts, print the built-in rules, try an action",
		Long: `Alert rules (docs/alerts.md) watch every stored event: thresholds in a
sliding window (5 failed logins in 10 minutes per user), values new to a
group (a login from a country not seen in 30 days), business hours in a time
zone (a login at night), with suppression and actions (webhook, Slack,
email). vigil serve evaluates them live; these commands try them on the
stored history and show what fired.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.alertsTestCmd(), a.alertsListCmd(), a.alertsRulesCmd(), a.alertsCheckCmd(), a.alertsTestActionCmd())
	return cmd
}

// loadRules reads a rules file; for "" the data directory's rules file
// (DATA/rules.yaml), else the built-in rules.
func loadRules(path, dataDir string) (*alerts.RuleSet, error) {
	if path == "" {
		return alerts.LoadRules(dataDir)
	}
	return alerts.LoadFile(path)
}

func (a *app) alertsTestCmd() *cobra.Command {
	var since string
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "test [RULES]",
		Short: "Backtest a rules file (the data directory's, else the built-in rules) over stored events",
		Long: `Test evaluates a rules file over the stored events, oldest first, exactly
as vigil serve would have evaluated them live, and prints every alert that
would have fired. Nothing is stored and no action is sent.

--since limits the alerts to recent events (events up to one window or
history before it are read too, so that windows start full); --all goes
over everything. With --json each alert is one JSON object a line, with at
least rule, severity, group, count and seqs.`,
		Example: `  vigil alerts test                         # DATA/rules.yaml, else the built-in rules; last 30 days
  vigil alerts test rules.yaml --all
  vigil alerts test --since 7d --json | jq -c '{rule, group, count}'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			if all && cmd.Flags().Changed("since") {
				return errors.New("give --since or --all, not both")
			}
			return a.alertsTest(cmd.Context(), path, since, all, asJSON)
		},
	}
	cmd.Flags().StringVar(&since, "since", "30d", "only alerts on events at or after: RFC 3339, a date, or a duration back from now (7d)")
	cmd.Flags().BoolVar(&all, "all", false, "go over every stored event")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one alert per line as JSON")
	return cmd
}

func (a *app) alertsTest(ctx context.Context, path, since string, all, asJSON bool) error {
	dataDir, err := a.resolveDataDir("vigil")
	if err != nil {
		return err
	}
	rs, err := loadRules(path, dataDir)
	if err != nil {
		return err
	}
	var opts alerts.BacktestOptions
	if !all {
		if opts.Since, err = parseSince(since, time.Now()); err != nil {
			return fmt.Errorf("--since: %w", err)
		}
	}
	st, err := a.openStore(dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	bw := bufio.NewWriterSize(a.stdout, 1<<16)
	defer bw.Flush()
	var table []alerts.Alert
	res, err := alerts.Backtest(ctx, st, rs, opts, func(al alerts.Alert) error {
		if !asJSON {
			table = append(table, al)
			return nil
		}
		b, err := alerts.MarshalLine(al)
		if err != nil {
			return err
		}
		bw.Write(b)
		return bw.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	if !asJSON {
		writeAlertTable(bw, table, terminalWidth(a.stdout))
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	scope := "stored events (all)"
	if !all {
		scope = fmt.Sprintf("events since %s", opts.Since.UTC().Format(time.RFC3339))
		if res.Warmup > 0 {
			scope += fmt.Sprintf(" (and %d before, to fill the windows)", res.Warmup)
		}
	}
	fmt.Fprintf(a.stderr, "%d alerts from %d rules of %s over %d %s (%s)\n", res.Alerts, len(rs.Rules),
		event.Safe(rs.Source), res.Events, scope, time.Since(start).Round(time.Millisecond))
	return nil
}

// writeAlertTable prints alerts oldest first in aligned columns, every
// value through the safe renderer, the group cut to fit the width.
func writeAlertTable(w io.Writer, as []alerts.Alert, width int) {
	if len(as) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSEVERITY\tRULE\tCOUNT\tSEQS\tGROUP")
	for _, al := range as {
		seqs := seqList(al.Seqs, 4)
		line := fmt.Sprintf("%s\t%s\t%s\t%d\t%s\t", al.Time.UTC().Format("2006-01-02 15:04:05"), al.Severity,
			event.Safe(al.Rule), al.Count, seqs)
		group := event.Safe(al.GroupText())
		if al.Value != "" {
			group += " new " + event.Safe(al.Field) + "=" + event.Safe(al.Value)
		}
		// The group is the last column: cut it to what is left.
		if room := width - len(line) - 12; room > 8 && len(group) > room {
			group = cutRunes(group, room-1) + "…"
		}
		fmt.Fprintln(tw, line+group)
	}
	tw.Flush()
}

func cutRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// seqList writes up to n seqs, then how many more.
func seqList(seqs []uint64, n int) string {
	var b strings.Builder
	for i, s := range seqs {
		if i == n {
			fmt.Fprintf(&b, " +%d", len(seqs)-n)
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(s, 10))
	}
	return b.String()
}

func (a *app) alertsListCmd() *cobra.Command {
	var f alerts.Filter
	var since string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show the stored alerts, newest first",
		Long: `List shows the alerts vigil serve stored (DATA/alerts), newest first by the
time of the event that fired them. It reads them without taking the store,
so it works while vigil serve runs. Each alert's events are found with
vigil query 'seq:A OR seq:B ...' (the query column of --json).`,
		Example: `  vigil alerts list
  vigil alerts list --severity high --since 24h
  vigil alerts list --rule brute-force-user --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return fmt.Errorf("--since: %w", err)
				}
				f.Since = t
			}
			if f.Severity != "" && !contains(event.Severities, strings.ToLower(f.Severity)) {
				return fmt.Errorf("--severity %q: want one of %s", f.Severity, strings.Join(event.Severities, ", "))
			}
			return a.alertsList(f, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Rule, "rule", "", "only alerts of this rule")
	fl.StringVar(&f.Severity, "severity", "", "only alerts of at least this severity: info, low, medium, high, critical")
	fl.StringVar(&since, "since", "", "only alerts on events at or after: RFC 3339, a date, or a duration back from now (24h)")
	fl.IntVar(&f.Limit, "limit", 0, "at most this many (default 50 for the table, all for --json)")
	fl.BoolVar(&asJSON, "json", false, "one alert per line as JSON, with its query")
	return cmd
}

// listedAlert is an alert as `alerts list --json` prints it: with the
// query that finds its events.
type listedAlert struct {
	alerts.Alert
	Query string `json:"query"`
}

func (a *app) alertsList(f alerts.Filter, asJSON bool) error {
	dataDir, err := a.resolveDataDir("vigil")
	if err != nil {
		return err
	}
	st, err := alerts.OpenStore(dataDir, alerts.StoreOptions{ReadOnly: true, Logger: a.log})
	if err != nil {
		return err
	}
	defer st.Close()
	if f.Limit <= 0 && !asJSON {
		f.Limit = 50
	}
	list := st.List(f)
	bw := bufio.NewWriter(a.stdout)
	defer bw.Flush()
	if asJSON {
		for _, al := range list {
			b, err := alerts.MarshalLine(listedAlert{Alert: al, Query: al.Query()})
			if err != nil {
				return err
			}
			bw.Write(b)
			bw.WriteByte('\n')
		}
		return nil
	}
	// Oldest of the page first, like a log.
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	writeAlertTable(bw, list, terminalWidth(a.stdout))
	bw.Flush()
	fmt.Fprintf(a.stderr, "%d of %d stored alerts\n", len(list), st.Len())
	return nil
}

func (a *app) alertsRulesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "Print the built-in rules file, to copy and edit",
		Example: `  vigil alerts rules > rules.yaml
  vigil alerts test rules.yaml`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := a.stdout.Write(alerts.BuiltinYAML)
			return err
		},
	}
}

func (a *app) alertsCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check RULES",
		Short: "Check a rules file and say what it holds",
		Long: `Check parses and validates a rules file. Every problem is reported as
FILE:LINE: rule NAME: FIELD: what is wrong; the exit status is 1 when there
is any.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			rs, err := alerts.LoadFile(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: %d rules, %d actions\n", event.Safe(args[0]), len(rs.Rules), len(rs.Actions))
			for _, r := range rs.Rules {
				fmt.Fprintf(a.stdout, "  %-24s %-8s %s\n", event.Safe(r.Name), r.Severity, event.Safe(r.Title))
			}
			return nil
		},
	}
}

func (a *app) alertsTestActionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "test-action RULES ACTION",
		Short: "Send a sample alert through one action of a rules file",
		Long: `Test-action sends one sample alert through the named action of a rules
file, once, and says whether it was delivered: the webhook answered 2xx, the
Slack webhook accepted the message, the SMTP server accepted the email.
Secrets named by url_env, password_env and password_file are read as vigil
serve would read them.`,
		Example: `  SLACK_URL=https://hooks.slack.com/... vigil alerts test-action rules.yaml slack`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := alerts.LoadFile(args[0])
			if err != nil {
				return err
			}
			c, ok := rs.Action(args[1])
			if !ok {
				names := make([]string, len(rs.Actions))
				for i, x := range rs.Actions {
					names[i] = x.Name
				}
				return fmt.Errorf("%s has no action %q (it has: %s)", args[0], args[1], strings.Join(names, ", "))
			}
			s, err := action.New(c)
			if err != nil {
				return err
			}
			now := time.Now().UTC().Truncate(time.Second)
			sample := alerts.Alert{
				ID: "alt_test", Rule: "vigil-test-action", Title: "Test notification from vigil", Severity: "info",
				Group: map[string]string{"action": c.Name}, Count: 1, Seqs: []uint64{0},
				Time: now, First: now, Last: now, FiredAt: now,
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			if err := s.Send(ctx, alerts.Message(sample)); err != nil {
				return fmt.Errorf("action %s (%s): %w", c.Name, c.Type, err)
			}
			fmt.Fprintf(a.stdout, "action %s (%s): delivered\n", event.Safe(c.Name), c.Type)
			return nil
		},
	}
}
