insert into public.countries (name, iso2, continent, population_millions) values
  ('Brazil', 'BR', 'South America', 203.06),
  ('Canada', 'CA', 'North America', 40.10),
  ('Japan', 'JP', 'Asia', 124.50),
  ('Kenya', 'KE', 'Africa', 55.10),
  ('Norway', 'NO', 'Europe', 5.55),
  ('New Zealand', 'NZ', 'Oceania', 5.22),
  ('Germany', 'DE', 'Europe', 84.48),
  ('India', 'IN', 'Asia', 1438.07);

insert into public.cities (name, country_id, population_thousands)
select c.name, country.id, c.population_thousands
from (values
  ('São Paulo', 'BR', 12325),
  ('Rio de Janeiro', 'BR', 6748),
  ('Toronto', 'CA', 2794),
  ('Montréal', 'CA', 1762),
  ('Vancouver', 'CA', 662),
  ('Tokyo', 'JP', 13960),
  ('Osaka', 'JP', 2753),
  ('Nairobi', 'KE', 4397),
  ('Mombasa', 'KE', 1208),
  ('Oslo', 'NO', 709),
  ('Berlin', 'DE', 3878),
  ('Hamburg', 'DE', 1892),
  ('Mumbai', 'IN', 12478),
  ('Delhi', 'IN', 11034),
  ('Bergen', 'NO', 286),
  ('Auckland', 'NZ', 1693),
  ('Wellington', 'NZ', 215)
) as c (name, iso2, population_thousands)
join public.countries country on country.iso2 = c.iso2;
