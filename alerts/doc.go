// Package alerts owns vigil's alert rules: their YAML schema and
// validation (errors name the file, line, rule and field), the built-in
// rules for the seed's five alert types (builtin.yaml), the evaluation of
// rules on events by event time (thresholds in sliding windows per group,
// values new to a group within a history, business hours in an IANA zone,
// suppression), backtests over stored history, the alert store in
// DATA/alerts, and the Runner that evaluates every stored event from the
// engine's live bus and hands notifications to a dispatcher that retries
// them without ever blocking evaluation.
//
// It does not deliver notifications itself (package alerts/action owns the
// webhook, Slack and SMTP wire formats), does not touch the event store
// (alerts live apart from it), and knows nothing of terminals: values that
// come from events are hostile, and Summary and Text pass them through
// event.Safe. The schema and the behaviour are documented in
// docs/alerts.md.
//
//	rs := alerts.Builtin()                       // or alerts.LoadFile("rules.yaml")
//	ev := alerts.NewEvaluator(rs)
//	for _, a := range ev.Evaluate(event, seq) {  // pure: no I/O, no clock
//		...
//	}
package alerts
