module argstream

go 1.19
