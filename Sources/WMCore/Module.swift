// The WMCore module; see Package.swift for its role.
