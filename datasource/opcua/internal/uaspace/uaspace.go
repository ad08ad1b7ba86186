// Package uaspace is an OPC UA namespace of plain variables for the gopcua
// server: a folder under Objects holding variables whose values come from
// functions and whose writes are type-checked and handed to a callback.
//
// The gopcua server's own node namespace stores writes of any type and
// reports the DataType of simple variables as "VariableNode"; this namespace
// reports the proper built-in DataType, refuses writes of the wrong type with
// BadTypeMismatch (as real servers do) and lets the owner decide what a write
// means. The test server (opcuatest) and the simulated plant's OPC UA server
// (opcuaserve) are built on it.
package uaspace

import (
	"sync"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/server/attrs"
	"github.com/gopcua/opcua/ua"
)

// Var is one variable of the namespace.
type Var struct {
	Name        string    // browse name; also the string NodeID (ns=<ns>;s=<Name>)
	Type        ua.TypeID // built-in type of the value
	Array       bool      // the value is a one-dimensional array of Type
	Description string
	// Get returns the current value, status and source time. It is called
	// from the server's goroutines.
	Get func() *ua.DataValue
	// Set writes a value already checked against Type; nil makes the
	// variable read-only. It returns the write's status code.
	Set func(v *ua.Variant) ua.StatusCode
}

type entry struct {
	v    Var
	id   *ua.NodeID
	node *server.Node
}

// Space is a namespace with one folder of variables. Add every variable
// before the server starts.
type Space struct {
	srv    *server.Server
	uri    string
	folder string

	mu      sync.RWMutex // guards the fields below
	id      uint16
	fnode   *server.Node
	byID    map[string]*entry
	ordered []*entry
	extra   map[string]*server.Node
}

// New adds a namespace named uri to srv with a folder called folder under
// the Objects folder. Call it before srv.Start.
func New(srv *server.Server, uri, folder string) *Space {
	s := &Space{srv: srv, uri: uri, folder: folder, byID: map[string]*entry{}, extra: map[string]*server.Node{}}
	srv.AddNamespace(s) // calls SetID
	fid := ua.NewStringNodeID(s.ID(), folder)
	s.fnode = server.NewNode(fid, map[ua.AttributeID]*ua.DataValue{
		ua.AttributeIDNodeClass:   server.DataValueFromValue(uint32(ua.NodeClassObject)),
		ua.AttributeIDBrowseName:  server.DataValueFromValue(&ua.QualifiedName{NamespaceIndex: s.ID(), Name: folder}),
		ua.AttributeIDDisplayName: server.DataValueFromValue(attrs.DisplayName(folder, "")),
		ua.AttributeIDDataType:    server.DataValueFromValue(ua.NewNumericExpandedNodeID(0, id.FolderType)),
	}, nil, nil)
	if ns0, err := srv.Namespace(0); err == nil && ns0.Objects() != nil {
		ns0.Objects().AddRef(s.fnode, id.Organizes, true)
	}
	return s
}

// Add adds a variable and returns its NodeID.
func (s *Space) Add(v Var) *ua.NodeID {
	s.mu.Lock()
	defer s.mu.Unlock()
	nid := ua.NewStringNodeID(s.id, v.Name)
	node := server.NewNode(nid, map[ua.AttributeID]*ua.DataValue{
		ua.AttributeIDNodeClass:  server.DataValueFromValue(uint32(ua.NodeClassVariable)),
		ua.AttributeIDBrowseName: server.DataValueFromValue(&ua.QualifiedName{NamespaceIndex: s.id, Name: v.Name}),
		ua.AttributeIDDataType:   server.DataValueFromValue(ua.NewNumericExpandedNodeID(0, uint32(v.Type))),
	}, nil, nil)
	e := &entry{v: v, id: nid, node: node}
	s.byID[nid.String()] = e
	s.ordered = append(s.ordered, e)
	return nid
}

// Changed tells the server's subscriptions that a variable's value changed.
// Call it only after the server started.
func (s *Space) Changed(nid *ua.NodeID) {
	if s.srv.MonitoredItemService != nil {
		s.srv.ChangeNotification(nid)
	}
}

// Name implements server.NameSpace.
func (s *Space) Name() string { return s.uri }

// ID implements server.NameSpace.
func (s *Space) ID() uint16 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.id
}

// SetID implements server.NameSpace.
func (s *Space) SetID(n uint16) {
	s.mu.Lock()
	s.id = n
	s.mu.Unlock()
}

// AddNode implements server.NameSpace; such nodes are only looked up.
func (s *Space) AddNode(n *server.Node) *server.Node {
	s.mu.Lock()
	s.extra[n.ID().String()] = n
	s.mu.Unlock()
	return n
}

// Node implements server.NameSpace.
func (s *Space) Node(nid *ua.NodeID) *server.Node {
	if nid == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	k := nid.String()
	if k == s.fnode.ID().String() {
		return s.fnode
	}
	if e := s.byID[k]; e != nil {
		return e.node
	}
	return s.extra[k]
}

// Objects implements server.NameSpace: the folder.
func (s *Space) Objects() *server.Node { return s.fnode }

// Root implements server.NameSpace: the folder.
func (s *Space) Root() *server.Node { return s.fnode }

func (s *Space) lookup(nid *ua.NodeID) (e *entry, folder bool) {
	if nid == nil {
		return nil, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	k := nid.String()
	return s.byID[k], k == s.fnode.ID().String()
}

// Browse implements server.NameSpace.
func (s *Space) Browse(bd *ua.BrowseDescription) *ua.BrowseResult {
	e, folder := s.lookup(bd.NodeID)
	if e == nil && !folder {
		return &ua.BrowseResult{StatusCode: ua.StatusBadNodeIDUnknown}
	}
	var refs []*ua.ReferenceDescription
	add := func(r *ua.ReferenceDescription) {
		if !direction(bd.BrowseDirection, r.IsForward) || !refType(bd.ReferenceTypeID, r.ReferenceTypeID) {
			return
		}
		if bd.NodeClassMask != 0 && bd.NodeClassMask&uint32(r.NodeClass) == 0 {
			return
		}
		refs = append(refs, r)
	}
	if folder {
		s.mu.RLock()
		vars := append([]*entry(nil), s.ordered...)
		s.mu.RUnlock()
		for _, v := range vars {
			add(&ua.ReferenceDescription{
				ReferenceTypeID: ua.NewNumericNodeID(0, id.Organizes),
				IsForward:       true,
				NodeID:          ua.NewExpandedNodeID(v.id, "", 0),
				BrowseName:      &ua.QualifiedName{NamespaceIndex: v.id.Namespace(), Name: v.v.Name},
				DisplayName:     ua.NewLocalizedText(v.v.Name),
				NodeClass:       ua.NodeClassVariable,
				TypeDefinition:  ua.NewNumericExpandedNodeID(0, id.BaseDataVariableType),
			})
		}
		add(&ua.ReferenceDescription{
			ReferenceTypeID: ua.NewNumericNodeID(0, id.HasTypeDefinition),
			IsForward:       true,
			NodeID:          ua.NewNumericExpandedNodeID(0, id.FolderType),
			BrowseName:      &ua.QualifiedName{Name: "FolderType"},
			DisplayName:     ua.NewLocalizedText("FolderType"),
			NodeClass:       ua.NodeClassObjectType,
			TypeDefinition:  ua.NewTwoByteExpandedNodeID(0),
		})
	} else {
		add(&ua.ReferenceDescription{
			ReferenceTypeID: ua.NewNumericNodeID(0, id.HasTypeDefinition),
			IsForward:       true,
			NodeID:          ua.NewNumericExpandedNodeID(0, id.BaseDataVariableType),
			BrowseName:      &ua.QualifiedName{Name: "BaseDataVariableType"},
			DisplayName:     ua.NewLocalizedText("BaseDataVariableType"),
			NodeClass:       ua.NodeClassVariableType,
			TypeDefinition:  ua.NewTwoByteExpandedNodeID(0),
		})
	}
	return &ua.BrowseResult{StatusCode: ua.StatusGood, References: refs}
}

func direction(bd ua.BrowseDirection, forward bool) bool {
	switch bd {
	case ua.BrowseDirectionBoth:
		return true
	case ua.BrowseDirectionInverse:
		return !forward
	}
	return forward
}

// refType reports whether a reference of type have answers a browse for
// want. Only the types this namespace uses are known.
func refType(want, have *ua.NodeID) bool {
	if want == nil || (want.Namespace() == 0 && want.IntID() == 0) || want.Equal(have) {
		return true
	}
	if want.Namespace() != 0 {
		return false
	}
	switch want.IntID() {
	case id.References:
		return true
	case id.HierarchicalReferences:
		return have.IntID() == id.Organizes
	case id.NonHierarchicalReferences:
		return have.IntID() == id.HasTypeDefinition
	}
	return false
}

func value(v any) *ua.DataValue {
	return &ua.DataValue{EncodingMask: ua.DataValueValue, Value: ua.MustVariant(v)}
}

func status(code ua.StatusCode) *ua.DataValue {
	return &ua.DataValue{EncodingMask: ua.DataValueStatusCode, Status: code}
}

// Attribute implements server.NameSpace.
func (s *Space) Attribute(nid *ua.NodeID, attr ua.AttributeID) *ua.DataValue {
	e, folder := s.lookup(nid)
	switch {
	case folder:
		switch attr {
		case ua.AttributeIDNodeID:
			return value(nid)
		case ua.AttributeIDNodeClass:
			return value(int32(ua.NodeClassObject))
		case ua.AttributeIDBrowseName:
			return value(&ua.QualifiedName{NamespaceIndex: nid.Namespace(), Name: s.folder})
		case ua.AttributeIDDisplayName:
			return value(ua.NewLocalizedText(s.folder))
		case ua.AttributeIDDescription:
			return value(ua.NewLocalizedText(""))
		case ua.AttributeIDEventNotifier:
			return value(byte(0))
		case ua.AttributeIDWriteMask, ua.AttributeIDUserWriteMask:
			return value(uint32(0))
		}
		return status(ua.StatusBadAttributeIDInvalid)
	case e == nil:
		return status(ua.StatusBadNodeIDUnknown)
	}
	access := byte(ua.AccessLevelTypeCurrentRead)
	if e.v.Set != nil {
		access |= byte(ua.AccessLevelTypeCurrentWrite)
	}
	switch attr {
	case ua.AttributeIDValue:
		dv := e.v.Get()
		if dv == nil {
			return status(ua.StatusBadWaitingForInitialData)
		}
		return dv
	case ua.AttributeIDNodeID:
		return value(nid)
	case ua.AttributeIDNodeClass:
		return value(int32(ua.NodeClassVariable))
	case ua.AttributeIDBrowseName:
		return value(&ua.QualifiedName{NamespaceIndex: nid.Namespace(), Name: e.v.Name})
	case ua.AttributeIDDisplayName:
		return value(ua.NewLocalizedText(e.v.Name))
	case ua.AttributeIDDescription:
		return value(ua.NewLocalizedText(e.v.Description))
	case ua.AttributeIDDataType:
		return value(ua.NewNumericNodeID(0, uint32(e.v.Type)))
	case ua.AttributeIDValueRank:
		if e.v.Array {
			return value(int32(1))
		}
		return value(int32(-1))
	case ua.AttributeIDArrayDimensions:
		if e.v.Array {
			return value([]uint32{0})
		}
		return value([]uint32{})
	case ua.AttributeIDAccessLevel, ua.AttributeIDUserAccessLevel:
		return value(access)
	case ua.AttributeIDMinimumSamplingInterval:
		return value(float64(0))
	case ua.AttributeIDHistorizing:
		return value(false)
	case ua.AttributeIDWriteMask, ua.AttributeIDUserWriteMask:
		return value(uint32(0))
	}
	return status(ua.StatusBadAttributeIDInvalid)
}

// SetAttribute implements server.NameSpace: only the Value of writable
// variables can be written, and only with the variable's type.
func (s *Space) SetAttribute(nid *ua.NodeID, attr ua.AttributeID, dv *ua.DataValue) ua.StatusCode {
	e, folder := s.lookup(nid)
	switch {
	case folder:
		return ua.StatusBadNotWritable
	case e == nil:
		return ua.StatusBadNodeIDUnknown
	case attr != ua.AttributeIDValue || e.v.Set == nil:
		return ua.StatusBadNotWritable
	case dv == nil || dv.Value == nil || dv.Value.Type() != e.v.Type:
		return ua.StatusBadTypeMismatch
	case (dv.Value.ArrayLength() > 0 || len(dv.Value.ArrayDimensions()) > 0) != e.v.Array:
		return ua.StatusBadTypeMismatch
	}
	code := e.v.Set(dv.Value)
	if code == ua.StatusOK {
		s.Changed(nid)
	}
	return code
}
