module sabre-native-go

go 1.22
