namespace ns {
struct Klass { int run(int); int run(double) const; static int make(); };
int Klass::run(int x) { return x * 2; }
int Klass::run(double x) const { return (int)x; }
int Klass::make() { return 7; }
template <typename T> T twice(T v) { return v + v; }
template int twice<int>(int);
namespace { int hidden(int x) { return x ^ 5; } }
int use(int x) { return hidden(x) + twice<int>(x); }
}
extern "C" int c_entry(int x) { return ns::use(x); }
