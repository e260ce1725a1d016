@_exported import DynamicJSON
