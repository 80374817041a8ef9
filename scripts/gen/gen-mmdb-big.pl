#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# Writes a GeoLite2-sized MaxMind-format database for the memory and speed
# report of the MMDB sources (scripts/bench/bench.sh, part "enrich"): N
# networks shaped like a routing table (IPv4 mostly /24 with /16-/23 and a
# few shorter and longer ones; a fifth of them IPv6, /32 allocations with
# /36-/48 more-specifics, in 2400::-2fff:: clear of the aliased 2001::/32
# and 2002::/16, inside five registry-like /12 blocks), each with an AS number, an AS organization and
# a country in GeoLite2's layout (as gen-mmdb.pl writes), from a fixed seed
# so the file is the same every time. GeoLite2 itself cannot be downloaded
# here; its ASN and Country databases hold about 0.5M networks each, City
# about 3-4M.
#
# usage: gen-mmdb-big.pl OUT N [city]
#   OUT is written through OUT.tmp and a rename. With "city" each record
#   also carries what makes GeoLite2-City's records big (city names in 8
#   languages, location, postal code; one of 120000 cities), which xdpflow
#   ignores but reads past.
# Needs Debian's libmaxmind-db-writer-perl.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

die "usage: $0 OUT N [city]\n"
	if @ARGV < 2 || @ARGV > 3 || $ARGV[1] !~ /^[1-9][0-9]*$/ || (@ARGV == 3 && $ARGV[2] ne 'city');
my ($out, $n, $city) = @ARGV;
my @langs = qw(de en es fr ja pt-BR ru zh-CN);
my %types = (autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string',
	country => 'map', iso_code => 'utf8_string', city => 'map', names => 'map', geoname_id => 'uint32',
	location => 'map', latitude => 'double', longitude => 'double', accuracy_radius => 'uint16',
	time_zone => 'utf8_string', postal => 'map', code => 'utf8_string', map { $_ => 'utf8_string' } @langs);
my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6, record_size => 28,
	database_type => 'xdpflow-GeoLite2-layout', languages => ['en'],
	description => { en => 'xdpflow generated database (benchmark)' }, remove_reserved_networks => 0,
	alias_ipv6_to_ipv4 => 1, map_key_type_callback => sub { $types{ $_[0] } });
srand(20261205);
my @cc = map { chr(65 + int($_ / 26)) . chr(65 + $_ % 26) } 0 .. 249;
my $n6 = int($n / 5);
my $n4 = $n - $n6;
my @alloc6 = map { sprintf('2%03x:%04x', 0x400 + int(rand(0xc00)), int(rand(0x10000))) } 1 .. ($n6 / 16 + 1);

sub v4_len
{
	my $r = rand(1000);

	return 24 if $r < 600;
	return 16 + int(rand(8)) if $r < 960;
	return 8 + int(rand(8)) if $r < 990;
	return 25 + int(rand(8));
}

sub rec
{
	my $as = 1 + int(rand(70000));
	my %r = (autonomous_system_number => $as, autonomous_system_organization => "AS$as-ORGANIZATION-NAME",
		country => { iso_code => $cc[$as % 250] });

	if ($city) {
		my $c = int(rand(120000));

		$r{city} = { geoname_id => 1000000 + $c, names => { map { $_ => "City $c ($_)" } @langs } };
		$r{location} = { latitude => ($c % 18000) / 100 - 90, longitude => ($c % 36000) / 100 - 180,
			accuracy_radius => 5 + $c % 500, time_zone => 'Region/City_' . ($c % 400) };
		$r{postal} = { code => sprintf('%05d', $c % 100000) };
	}
	return \%r;
}

# Shorter networks first: a later, longer one splits the one it falls in
# (as in a real database, where more-specifics carve up their covering
# network), rather than a later, shorter one wiping it out.
my @nets;
for (1 .. $n4) {
	my $len = v4_len();
	my $a = (1 + int(rand(223))) << 24 | int(rand(1 << 24));

	$a &= (0xffffffff << (32 - $len)) & 0xffffffff;
	push @nets, [ $len, join('.', unpack('C4', pack('N', $a))) . "/$len" ];
}
my @l6 = (36, 40, 44, 48, 48, 48, 48, 48);
for (1 .. $n6) {
	my $len = $l6[int(rand(@l6))];
	my $net = $alloc6[int(rand(@alloc6))] . sprintf(':%04x::', int(rand(0x10000)) & (0xffff << (48 - $len)));

	push @nets, [ $len + 96, "$net/$len" ];
}
push @nets, map { [ 96 + 32, "$_\::/32" ] } @alloc6;
# The registries' blocks the allocations sit in, as a database covers them.
push @nets, map { [ 96 + 12, "$_\::/12" ] } qw(2400 2600 2800 2a00 2c00);
$t->insert_network($_->[1], rec()) for sort { $a->[0] <=> $b->[0] } @nets;
open my $fh, '>:raw', "$out.tmp" or die "$out.tmp: $!\n";
$t->write_tree($fh);
close $fh or die "$out.tmp: $!\n";
rename "$out.tmp", $out or die "$out: $!\n";
