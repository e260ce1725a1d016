@_exported import DynamicJSON

/// A splitting parameter value: WMCore's keyword arguments are JSON-like values.
public typealias ParameterValue = JSONValue
