module vmango/gotemplate-golden

go 1.19
