// Package yamlfield reads the fields of a project file from its YAML node
// tree: strings, integers, durations, words from a list, secrets, file
// paths and mappings of allowed keys, each checked, every problem reported
// at its line with the path of its field ("devices[PLC1].modbus.unit").
//
// It is the part of the project loader that the driver packages share: a
// driver's schema (modbus.Decode, opcua.Decode, ...) reads its device
// section with a Reader and reports its problems in the same form as the
// rest of the file, without importing datasource/project (which imports
// the driver registry, and so every driver). It imports nothing of the
// project but datasource.
package yamlfield
