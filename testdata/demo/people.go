package demo

import (
	"strconv"
	"strings"
)

// city is a place users live in or attackers come from. Offsets are fixed
// (no daylight saving time), which keeps local time a pure function of the
// instant.
type city struct {
	name, country string
	off           int // minutes east of UTC
	weight        int // share of users living there (home cities)
}

func (c city) location() string { return c.name + ", " + c.country }

var homeCities = []city{
	{"San Francisco", "United States", -8 * 60, 9},
	{"Seattle", "United States", -8 * 60, 4},
	{"Austin", "United States", -6 * 60, 4},
	{"New York", "United States", -5 * 60, 9},
	{"Toronto", "Canada", -5 * 60, 4},
	{"São Paulo", "Brazil", -3 * 60, 3},
	{"London", "United Kingdom", 0, 10},
	{"Dublin", "Ireland", 0, 5},
	{"Lisbon", "Portugal", 0, 3},
	{"Berlin", "Germany", 60, 9},
	{"Paris", "France", 60, 6},
	{"Amsterdam", "Netherlands", 60, 5},
	{"Warsaw", "Poland", 60, 4},
	{"Bangalore", "India", 5*60 + 30, 6},
	{"Singapore", "Singapore", 8 * 60, 3},
	{"Tokyo", "Japan", 9 * 60, 4},
	{"Sydney", "Australia", 10 * 60, 3},
}

// foreignCities are places no user lives in: travel destinations and the
// origins of attacks.
var foreignCities = []city{
	{"Jakarta", "Indonesia", 7 * 60, 0},
	{"Bogotá", "Colombia", -5 * 60, 0},
	{"Cairo", "Egypt", 2 * 60, 0},
	{"Istanbul", "Türkiye", 3 * 60, 0},
	{"Manila", "Philippines", 8 * 60, 0},
	{"Johannesburg", "South Africa", 2 * 60, 0},
	{"Buenos Aires", "Argentina", -3 * 60, 0},
	{"Mexico City", "Mexico", -6 * 60, 0},
	{"Seoul", "South Korea", 9 * 60, 0},
	{"Nairobi", "Kenya", 3 * 60, 0},
	{"Bucharest", "Romania", 2 * 60, 0},
	{"Hanoi", "Vietnam", 7 * 60, 0},
	{"Lima", "Peru", -5 * 60, 0},
	{"Reykjavík", "Iceland", 0, 0},
}

// dataCenters host the Keeper Secrets Manager client devices.
var dataCenters = []city{
	{"Ashburn", "United States", -5 * 60, 0},
	{"Frankfurt", "Germany", 60, 0},
	{"The Dalles", "United States", -8 * 60, 0},
	{"Dublin", "Ireland", 0, 0},
}

// Display name and the ASCII form used in email addresses.
var firstNames = []string{
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah",
	"Isabella", "James", "Mia", "William", "Amelia", "Benjamin", "Harper",
	"Lucas", "Evelyn", "Henry", "Abigail", "Alexander", "Emily", "Daniel",
	"Charlotte", "Matthew", "Sofia", "Samuel", "Aria", "David", "Chloé|chloe",
	"Joseph", "Zoë|zoe", "José|jose", "Priya", "Arjun", "Ananya", "Rohan",
	"Mei", "Wei", "Hiroshi", "Yuki", "Haruto", "Sakura", "Ji-woo|jiwoo",
	"Min-jun|minjun", "Fatima", "Omar", "Aisha", "Yusuf", "Lena", "Jonas",
	"Søren|soren", "Ingrid", "Łukasz|lukasz", "Zofia", "Mateo", "Valentina",
	"Santiago", "Camila", "Thiago", "Lucía|lucia", "Noé|noe", "Amara",
	"Kwame", "Chidi", "Nia", "Tariq", "Leila", "Ethan", "Grace", "Aiden",
	"Hannah", "Finn", "Maya", "Kai", "Nora", "Ravi", "Elena", "Marco",
	"Giulia", "Pierre", "Camille", "Anders", "Freya", "Dmitri", "Katya",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
	"Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson",
	"Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
	"Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young",
	"Allen", "King", "Wright", "Scott", "Nguyen", "Hill", "Green", "Adams",
	"Baker", "Nelson", "Carter", "Mitchell", "Patel", "Sharma", "Gupta",
	"Iyer", "Chen", "Wang", "Li", "Zhang", "Tanaka", "Suzuki", "Sato",
	"Kim", "Park", "Müller|mueller", "Schmidt", "Schneider", "Fischer",
	"Dubois", "Laurent", "Rossi", "Bianchi", "Kowalski", "Nowak", "Novák|novak",
	"Jensen", "Hansen", "Eriksson", "Okafor", "Mensah", "Haddad", "Khan",
	"Silva", "Santos", "Oliveira", "Costa", "Pereira", "O'Brien|obrien",
	"Murphy", "Kelly", "Byrne", "Van der Berg|vanderberg", "De Vries|devries",
}

var domains = []string{
	"northwind.example", "northwind.example", "northwind.example",
	"bluepeak.example", "bluepeak.example", "ferrox-labs.example",
	"quillon.example",
}

const numUsers = 420

// Roles in the order of their privileges.
const (
	roleViewer  = "viewer"
	roleEditor  = "editor"
	roleBilling = "billing"
	roleAdmin   = "admin"
	roleOwner   = "owner"
)

// platform is a user's main device.
type platform struct {
	device, ua, enpassUA string
	uaJSON, enpassJSON   string // the user agents as JSON strings
}

var platforms = []platform{
	{device: "MacBook Pro (macOS 14.2)", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", enpassUA: "Enpass/6.11.2 (macOS 14.2)"},
	{device: "MacBook Air (macOS 14.1)", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", enpassUA: "Enpass/6.11.2 (macOS 14.1)"},
	{device: "ThinkPad X1 Carbon (Windows 11)", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", enpassUA: "Enpass/6.11.2 (Windows 11)"},
	{device: "Dell Latitude 7440 (Windows 11)", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", enpassUA: "Enpass/6.11.2 (Windows 11)"},
	{device: "Surface Laptop 5 (Windows 10)", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36", enpassUA: "Enpass/6.10.1 (Windows 10)"},
	{device: "Framework Laptop (Ubuntu 22.04)", ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", enpassUA: "Enpass/6.11.2 (Ubuntu 22.04)"},
	{device: "iPhone 15 (iOS 17.2)", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1", enpassUA: "Enpass/6.11.2 (iOS 17.2)"},
	{device: "Pixel 8 (Android 14)", ua: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36", enpassUA: "Enpass/6.11.2 (Android 14)"},
}

// quoteAll returns the strings of list as JSON strings.
func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = string(appendJSONString(nil, s))
	}
	return out
}

var apiUAsJSON = quoteAll(apiUAs)

func init() {
	for i := range platforms {
		p := &platforms[i]
		p.uaJSON = string(appendJSONString(nil, p.ua))
		p.enpassJSON = string(appendJSONString(nil, p.enpassUA))
	}
}

var apiUAs = []string{
	"python-requests/2.31.0", "Go-http-client/2.0", "curl/8.4.0",
	"axios/1.6.2", "PostmanRuntime/7.36.0", "Terraform/1.6.6",
}

var attackerUAs = []string{
	"python-requests/2.28.1", "curl/7.68.0", "Mozilla/5.0 (compatible; Hydra)",
	"Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.88 Safari/537.36",
	"Go-http-client/1.1",
}

var ksmUAs = []string{"KSM-Python/1.0.27", "KSM-Java/16.6.2", "KSM-Go/1.6.2", "KSM-CLI/1.1.4", "KSM-JS/16.5.4"}

// ipAddr is one address of the generated world.
type ipAddr struct {
	addr string
	city city
}

// user is one person of the generated organisation.
type user struct {
	id, email, name, role string
	city                  city
	zone                  int // index into Generator.zones
	ips                   []int32
	plat                  int
	act                   int // relative activity
	apiKey                string
	actorJSON             string   // {"id":...,"email":...,"name":...,"role":...}
	targetJSON            string   // {"id":...,"email":...,"name":...}
	emailJSON             string   // "email" as a JSON string
	ctx                   []string // per usual IP: `"ip":"..","location":".."`
}

func (u *user) privileged() bool { return u.role == roleAdmin || u.role == roleOwner }

// ksmApp is a Keeper Secrets Manager application.
type ksmApp struct {
	uid, name string
	owner     int32
}

// ksmDevice is a client device of a KSM application.
type ksmDevice struct {
	id, name, ua string
	app          int
	ip           int32
	actorJSON    string
}

func splitName(s string) (display, ascii string) {
	if i := strings.IndexByte(s, '|'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, strings.ToLower(strings.ReplaceAll(s, " ", ""))
}

func (g *Generator) addIP(addr string, c city) int32 {
	g.ips = append(g.ips, ipAddr{addr: addr, city: c})
	return int32(len(g.ips) - 1)
}

// publicV4 hands out the next unused address of the documentation ranges,
// or an IPv6 address once they are used up.
func (g *Generator) publicV4(r *rng, c city) int32 {
	if g.v4Next < len(g.v4Pool) {
		a := g.v4Pool[g.v4Next]
		g.v4Next++
		return g.addIP(a, c)
	}
	return g.publicV6(r, c)
}

func (g *Generator) publicV6(r *rng, c city) int32 {
	g.v6Next++
	a := "2001:db8:" + strconv.FormatUint(uint64(0x100+g.v6Next%0xe00), 16) + ":" +
		strconv.FormatUint(uint64(r.n(0xffff)+1), 16) + "::" + strconv.FormatUint(uint64(r.n(0xffff)+1), 16)
	return g.addIP(a, c)
}

func (g *Generator) buildWorld() {
	r := newRNG(uint64(g.cfg.Seed), 1)

	// Documentation IPv4 ranges, shuffled.
	for _, p := range []string{"203.0.113.", "198.51.100.", "192.0.2."} {
		for i := 1; i <= 254; i++ {
			g.v4Pool = append(g.v4Pool, p+strconv.Itoa(i))
		}
	}
	for i := len(g.v4Pool) - 1; i > 0; i-- {
		j := r.n(i + 1)
		g.v4Pool[i], g.v4Pool[j] = g.v4Pool[j], g.v4Pool[i]
	}

	// Zones: the distinct offsets of the home cities.
	zoneOf := map[int]int{}
	for _, c := range homeCities {
		if _, ok := zoneOf[c.off]; !ok {
			zoneOf[c.off] = len(g.zones)
			g.zones = append(g.zones, c.off)
		}
	}
	g.zoneUsers = make([][]int32, len(g.zones))
	g.zoneAdmins = make([][]int32, len(g.zones))
	g.zoneWeight = make([]float64, len(g.zones))

	cityTotal := 0
	for _, c := range homeCities {
		cityTotal += c.weight
	}
	seen := map[string]bool{}
	officeN := map[string]int{}
	for i := 0; i < numUsers; i++ {
		fd, fa := splitName(pick(&r, firstNames))
		ld, la := splitName(pick(&r, lastNames))
		dom := pick(&r, domains)
		local := fa + "." + la
		email := local + "@" + dom
		for n := 2; seen[email]; n++ {
			email = local + strconv.Itoa(n) + "@" + dom
		}
		seen[email] = true
		x := r.n(cityTotal)
		var c city
		for _, hc := range homeCities {
			if x < hc.weight {
				c = hc
				break
			}
			x -= hc.weight
		}
		u := user{
			id:    "usr_" + hex(mix(uint64(g.cfg.Seed), 2, uint64(i)), 10),
			email: email,
			name:  fd + " " + ld,
			city:  c,
			zone:  zoneOf[c.off],
			plat:  r.n(len(platforms)),
			act:   1 + r.n(4),
		}
		u.apiKey = "key_" + hex(mix(uint64(g.cfg.Seed), 3, uint64(i)), 12)
		// Usual addresses: a desk address in the office network, a home
		// broadband address, an IPv6 address; one to three of them.
		n := 1 + r.n(3)
		cityIdx := 0
		for k, hc := range homeCities {
			if hc.name == c.name {
				cityIdx = k
			}
		}
		for k := 0; k < n; k++ {
			var ip int32
			switch {
			case k == 0 && r.chance(0.75):
				o := officeN[c.name]
				officeN[c.name]++
				if cityIdx%2 == 0 {
					ip = g.addIP("10."+strconv.Itoa(20+cityIdx)+"."+strconv.Itoa(o/200)+"."+strconv.Itoa(10+o%200), c)
				} else {
					ip = g.addIP("172.16."+strconv.Itoa(cityIdx*8+o/200)+"."+strconv.Itoa(10+o%200), c)
				}
			case r.chance(0.6):
				ip = g.publicV4(&r, c)
			default:
				ip = g.publicV6(&r, c)
			}
			u.ips = append(u.ips, ip)
		}
		g.users = append(g.users, u)
	}

	// Roles: 2 owners, 10 admins, 8 billing, the rest viewers and editors.
	order := make([]int, numUsers)
	for i := range order {
		order[i] = i
	}
	for i := len(order) - 1; i > 0; i-- {
		j := r.n(i + 1)
		order[i], order[j] = order[j], order[i]
	}
	for k, i := range order {
		u := &g.users[i]
		switch {
		case k < 2:
			u.role = roleOwner
		case k < 12:
			u.role = roleAdmin
		case k < 20:
			u.role = roleBilling
		case r.chance(0.58):
			u.role = roleViewer
		default:
			u.role = roleEditor
		}
	}

	for i := range g.users {
		u := &g.users[i]
		w := jw{}
		w.begin()
		w.str("id", u.id)
		w.str("email", u.email)
		w.str("name", u.name)
		w.str("role", u.role)
		w.end()
		u.actorJSON = string(w.b)
		w = jw{}
		w.begin()
		w.str("id", u.id)
		w.str("email", u.email)
		w.str("name", u.name)
		w.end()
		u.targetJSON = string(w.b)
		u.emailJSON = string(appendJSONString(nil, u.email))
		for _, ip := range u.ips {
			w = jw{first: true}
			w.str("ip", g.ips[ip].addr)
			w.str("location", g.ips[ip].city.location())
			u.ctx = append(u.ctx, string(w.b))
		}
		for a := 0; a < u.act; a++ {
			g.zoneUsers[u.zone] = append(g.zoneUsers[u.zone], int32(i))
		}
		g.zoneWeight[u.zone] += float64(u.act)
		if u.privileged() {
			g.zoneAdmins[u.zone] = append(g.zoneAdmins[u.zone], int32(i))
			g.admins = append(g.admins, int32(i))
		}
		if u.city.off == 0 {
			g.utcUsers = append(g.utcUsers, int32(i))
		}
	}

	// Keeper Secrets Manager applications, client devices and secrets.
	appNames := []string{"Production Web", "CI/CD Pipelines", "Payments Service", "Data Warehouse ETL", "Internal Tools"}
	for i, name := range appNames {
		owner := g.admins[i%len(g.admins)]
		if i%2 == 1 {
			owner = int32(r.n(numUsers))
		}
		g.apps = append(g.apps, ksmApp{uid: keeperUID(&r), name: name, owner: owner})
	}
	devNames := []string{
		"prod-web-01", "prod-web-02", "github-actions-runner", "jenkins-build-3",
		"payments-api-k8s", "payments-worker", "airflow-scheduler", "dbt-cloud",
		"terraform-cloud", "lambda-rotate-keys", "ops-bastion", "backstage-portal",
	}
	for i, name := range devNames {
		dc := dataCenters[r.n(len(dataCenters))]
		var ip int32
		if r.chance(0.7) {
			ip = g.publicV4(&r, dc)
		} else {
			ip = g.publicV6(&r, dc)
		}
		d := ksmDevice{
			id:   "ksm_dev_" + hex(mix(uint64(g.cfg.Seed), 4, uint64(i)), 10),
			name: name,
			ua:   pick(&r, ksmUAs),
			app:  i * len(appNames) / len(devNames),
			ip:   ip,
		}
		w := jw{}
		w.begin()
		w.str("id", d.id)
		w.str("name", d.name)
		w.str("type", "device")
		w.end()
		d.actorJSON = string(w.b)
		g.devices = append(g.devices, d)
	}
	for i := 0; i < 160; i++ {
		g.secrets = append(g.secrets, keeperUID(&r))
	}
	// Addresses outside the IP locks of the KSM devices.
	for i := 0; i < 6; i++ {
		g.blocked = append(g.blocked, g.publicV4(&r, foreignCities[r.n(len(foreignCities))]))
	}
}

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// keeperUID returns a Keeper-style 22 character record UID.
func keeperUID(r *rng) string {
	var b [22]byte
	v := r.next()
	for i := range b {
		if i == 10 {
			v = r.next()
		}
		b[i] = b64url[v&63]
		v >>= 6
	}
	return string(b[:])
}

// HomeZones maps each person's email to the time zone of their home city,
// as an IANA name. The demo's cities keep one offset all year, so the
// zones are fixed offsets ("Etc/GMT+8" is UTC−8; India's +5:30 is
// Asia/Kolkata, which has no daylight saving time either). Alert rules read
// business hours in them (zone_by).
func (g *Generator) HomeZones() map[string]string {
	out := make(map[string]string, len(g.users))
	for _, u := range g.users {
		out[u.email] = zoneName(u.city.off)
	}
	return out
}

// zoneName is the IANA name of a fixed offset of the home cities.
func zoneName(off int) string {
	switch {
	case off == 0:
		return "Etc/UTC"
	case off == 5*60+30:
		return "Asia/Kolkata"
	case off%60 != 0:
		panic("demo: no zone name for offset " + strconv.Itoa(off))
	case off > 0:
		return "Etc/GMT-" + strconv.Itoa(off/60) // POSIX signs: east is minus
	}
	return "Etc/GMT+" + strconv.Itoa(-off/60)
}
