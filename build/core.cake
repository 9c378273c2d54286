// Core area: the .NET tests that build.cake runs for every tests/*.Tests project cover it.
