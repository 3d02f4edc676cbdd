// Command check reads Herald's Prometheus rule file and Grafana dashboard with Prometheus's own
// rule parser and PromQL parser, and prints what they name as JSON: the alerts, the panels, and
// every metric an expression selects. The test (test/integration/ops.test.ts) compares those metrics
// with what a running stack's apps serve at /metrics.
//
//	check <rules.yaml> <dashboard.json>
//
// A rule file or expression that does not parse is printed to stderr and exits 1.
package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"sort"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

type alert struct {
	Name    string   `json:"name"`
	Group   string   `json:"group"`
	Expr    string   `json:"expr"`
	For     string   `json:"for"`
	Runbook string   `json:"runbook"`
	Metrics []string `json:"metrics"`
}

type panel struct {
	Title   string   `json:"title"`
	Exprs   []string `json:"exprs"`
	Metrics []string `json:"metrics"`
}

type report struct {
	Alerts  []alert  `json:"alerts"`
	Records []string `json:"records"`
	Panels  []panel  `json:"panels"`
	Metrics []string `json:"metrics"`
}

// Grafana's variables ($lane, ${lane}, [$__rate_interval]) are not PromQL: each becomes
// something that parses the same way before the expression is read.
var (
	rangeVariable = regexp.MustCompile(`\$__(rate_)?interval|\$__range`)
	variable      = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?`)
)

func grafanaToPromQL(expr string) string {
	return variable.ReplaceAllString(rangeVariable.ReplaceAllString(expr, "5m"), "x")
}

// metricsOf answers the metric names an expression selects, by name or by __name__.
func metricsOf(p parser.Parser, expr string) ([]string, error) {
	node, err := p.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			if vs.Name != "" {
				seen[vs.Name] = true
			}
			for _, m := range vs.LabelMatchers {
				if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
					seen[m.Value] = true
				}
			}
		}
		return nil
	})
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// panelsOf walks a dashboard's panels (rows hold panels of their own) for their targets' expressions.
func panelsOf(raw []any) []panel {
	var out []panel
	for _, item := range raw {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		if nested, ok := m["panels"].([]any); ok {
			out = append(out, panelsOf(nested)...)
		}
		targets, _ := m["targets"].([]any)
		if len(targets) == 0 {
			continue
		}
		title, _ := m["title"].(string)
		p := panel{Title: title}
		for _, t := range targets {
			if tm, ok := t.(map[string]any); ok {
				if expr, ok := tm["expr"].(string); ok {
					p.Exprs = append(p.Exprs, expr)
				}
			}
		}
		out = append(out, p)
	}
	return out
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: check <rules.yaml> <dashboard.json>")
		os.Exit(2)
	}
	p := parser.NewParser(parser.Options{})
	failed := false
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		failed = true
	}
	all := map[string]bool{}
	var rep report

	groups, errs := rulefmt.ParseFile(os.Args[1], false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		fail("%v", err)
	}
	if groups != nil {
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				names, err := metricsOf(p, r.Expr)
				if err != nil {
					fail("%s: rule %s%s: %v", os.Args[1], r.Alert, r.Record, err)
					continue
				}
				if r.Record != "" {
					rep.Records = append(rep.Records, r.Record)
					for _, n := range names {
						all[n] = true
					}
					continue
				}
				for _, n := range names {
					all[n] = true
				}
				rep.Alerts = append(rep.Alerts, alert{Name: r.Alert, Group: g.Name, Expr: r.Expr, For: r.For.String(), Runbook: r.Annotations["runbook"], Metrics: names})
			}
		}
	}

	text, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	} else {
		var dashboard struct {
			Panels []any `json:"panels"`
		}
		if err := json.Unmarshal(text, &dashboard); err != nil {
			fail("%s: %v", os.Args[2], err)
		}
		for _, pn := range panelsOf(dashboard.Panels) {
			seen := map[string]bool{}
			for _, expr := range pn.Exprs {
				names, err := metricsOf(p, grafanaToPromQL(expr))
				if err != nil {
					fail("%s: panel %q: %s: %v", os.Args[2], pn.Title, expr, err)
					continue
				}
				for _, n := range names {
					seen[n] = true
					all[n] = true
				}
			}
			for n := range seen {
				pn.Metrics = append(pn.Metrics, n)
			}
			sort.Strings(pn.Metrics)
			rep.Panels = append(rep.Panels, pn)
		}
	}

	// A recorded series is made by the rules themselves, not exported by an app.
	for _, r := range rep.Records {
		delete(all, r)
	}
	for n := range all {
		rep.Metrics = append(rep.Metrics, n)
	}
	sort.Strings(rep.Metrics)
	if failed {
		os.Exit(1)
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Println(string(out))
}
