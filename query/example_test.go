package query_test

import (
	"fmt"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/query"
)

func Example() {
	q, err := query.Parse(`action:login.failed AND time:>now-24h | top 10 src`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q) // canonical: the alias src is ip

	ev, _ := event.Decode([]byte(`{"timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed","context":{"ip":"192.168.1.100"}}`))
	now := time.Date(2025, 1, 16, 9, 0, 0, 0, time.UTC)
	m, _ := query.Compile(q.Filter, now)
	fmt.Println(m.Match(ev))
	// Output:
	// action:login.failed AND time:>now-24h | top 10 ip
	// true
}

func ExampleParseError_Caret() {
	_, err := query.Parse(`action:login.failed AND (ip:1.2.3.4`)
	fmt.Println(err.(*query.ParseError).Caret())
	fmt.Println(err)
	// Output:
	// action:login.failed AND (ip:1.2.3.4
	//                         ^ unclosed "(" opened here
	//                           close it with ")"
	// column 25: unclosed "(" opened here; close it with ")"
}

func ExampleTokens() {
	fmt.Printf("%q\n", query.Tokens("Login failed for Bob@X.com from 10.0.0.1: 管理者 🚀"))
	// Output:
	// ["login" "failed" "for" "bob@x.com" "from" "10.0.0.1" "管" "理" "者" "🚀"]
}
