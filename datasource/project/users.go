package project

import "go.yaml.in/yaml/v3"

// users reads the users and roles lists. Both are placeholders for the
// security model: names are checked for form and uniqueness, and a user's
// role must be one of the roles when roles are listed.
func (p *parser) users(un, rn *yaml.Node) ([]User, []Role) {
	var roles []Role
	roleLine := make(map[string]int)
	for i, item := range p.sequence(rn, "roles") {
		m := p.mapping(item, itemPath("roles", i, item, deviceNameRE), "name")
		if m == nil {
			continue
		}
		r := Role{Pos: p.pos(m.node)}
		if v := m.get("name"); v != nil {
			r.Name, _ = p.name(v, m.field("name"), deviceNameRE, "letters, digits, _ and -")
		} else {
			p.errorf(m.node, m.field("name"), "required")
		}
		if r.Name != "" {
			if line, dup := roleLine[r.Name]; dup {
				p.errorf(m.get("name"), m.field("name"), "role %q is defined twice (first at line %d)", r.Name, line)
				continue
			}
			roleLine[r.Name] = r.Pos.Line
		}
		roles = append(roles, r)
	}
	var users []User
	userLine := make(map[string]int)
	for i, item := range p.sequence(un, "users") {
		m := p.mapping(item, itemPath("users", i, item, tagNameRE), "name", "role")
		if m == nil {
			continue
		}
		u := User{Pos: p.pos(m.node)}
		if v := m.get("name"); v != nil {
			u.Name, _ = p.name(v, m.field("name"), tagNameRE, "letters, digits, _, . and -")
		} else {
			p.errorf(m.node, m.field("name"), "required")
		}
		if v := m.get("role"); v != nil {
			u.Role, _ = p.name(v, m.field("role"), deviceNameRE, "letters, digits, _ and -")
			if _, ok := roleLine[u.Role]; u.Role != "" && len(roles) > 0 && !ok {
				p.errorf(v, m.field("role"), "unknown role %q", u.Role)
			}
		} else {
			p.errorf(m.node, m.field("role"), "required")
		}
		if u.Name != "" {
			if line, dup := userLine[u.Name]; dup {
				p.errorf(m.get("name"), m.field("name"), "user %q is defined twice (first at line %d)", u.Name, line)
				continue
			}
			userLine[u.Name] = u.Pos.Line
		}
		users = append(users, u)
	}
	return users, roles
}
